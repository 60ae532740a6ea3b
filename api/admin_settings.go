package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// getSettings is GET /v1/accounts/{account}/settings (admin.Settings).
func (s *server) getSettings(c *gin.Context) {
	out, err := s.admin.Settings(c.Request.Context(), c.Param("account"))
	s.answerResult(c, http.StatusOK, out, err)
}

// putSettings is PUT /v1/accounts/{account}/settings (admin.UpdateSettings).
// Fields left out keep their value. Changing the currency re-converts the
// account's conversions with the stored rates.
func (s *server) putSettings(c *gin.Context) {
	var req admin.SettingsChange
	if !bindJSON(c, &req) {
		return
	}
	out, err := s.admin.UpdateSettings(c.Request.Context(), c.Param("account"), req)
	s.answerResult(c, http.StatusOK, out, err)
}
