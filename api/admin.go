package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
)

// apiKeyContext is where authenticate leaves the request's store.APIKey.
const apiKeyContext = "convrelay.api_key"

// authenticate checks the Bearer admin key and that it belongs to the account in
// the path: accounts never see each other's data.
func (s *server) authenticate(c *gin.Context) {
	key, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(key) == "" {
		fail(c, http.StatusUnauthorized, "missing Authorization: Bearer <admin key>")
		return
	}
	k, err := s.Store.AuthenticateKey(c.Request.Context(), strings.TrimSpace(key))
	if err != nil {
		if !store.IsNotFound(err) {
			s.failErr(c, "admin key", err)
			return
		}
		fail(c, http.StatusUnauthorized, "invalid admin key")
		return
	}
	if k.AccountID != c.Param("account") {
		fail(c, http.StatusForbidden, "this key does not belong to account "+quote(c.Param("account")))
		return
	}
	// A read-only key reads; anything that changes state needs an admin key.
	if k.Role != store.RoleAdmin && c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		fail(c, http.StatusForbidden, "this admin key is read-only")
		return
	}
	c.Set(apiKeyContext, k)
	c.Next()
}
