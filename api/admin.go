package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// authenticate checks the Bearer admin key and that it belongs to the account in
// the path: accounts never see each other's data.
func (s *server) authenticate(c *gin.Context) {
	key, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(key) == "" {
		fail(c, http.StatusUnauthorized, "missing Authorization: Bearer <admin key>")
		return
	}
	owner, err := s.Store.AccountForKey(c.Request.Context(), strings.TrimSpace(key))
	if err != nil {
		fail(c, http.StatusUnauthorized, "invalid admin key")
		return
	}
	if owner != c.Param("account") {
		fail(c, http.StatusForbidden, "this key does not belong to account "+quote(c.Param("account")))
		return
	}
	c.Next()
}
