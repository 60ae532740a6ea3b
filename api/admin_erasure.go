package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// erase is POST /v1/accounts/{account}/erasure {"email"|"click_id"|"ref_id"}:
// removes or anonymises everything about one person in the account and answers
// how many rows of each table it changed (admin.Erase).
func (s *server) erase(c *gin.Context) {
	var req admin.ErasureRequest
	if !bindJSON(c, &req) {
		return
	}
	out, err := s.admin.Erase(c.Request.Context(), c.Param("account"), req)
	s.answerResult(c, http.StatusOK, out, err)
}
