package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

func (s *server) integrationBase(in store.Integration) string {
	return admin.IntegrationURL(s.Config.PublicURL, in)
}

// postbackTemplate is the URL a network is given (admin.PostbackTemplate).
func (s *server) postbackTemplate(in store.Integration, token string) string {
	return admin.PostbackTemplate(s.Config.PublicURL, in, token)
}

// listPresets is GET /v1/accounts/{account}/presets.
func (s *server) listPresets(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"presets": postback.Presets()})
}

// createIntegration is POST /v1/accounts/{account}/integrations
// {"slug","preset","token","open","allowed_cidrs":[...],"field_map":{...}}. An
// integration gets a random token unless one is given or it is created open.
func (s *server) createIntegration(c *gin.Context) {
	var req admin.IntegrationRequest
	if !bindJSON(c, &req) {
		return
	}
	in, shown, err := s.admin.CreateIntegration(c.Request.Context(), c.Param("account"), req)
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusCreated, s.newAPIIntegration(in, shown))
}

// setIntegrationStatusRules is PUT /v1/accounts/{account}/integrations/{slug}/status_rules
// {"status_map":{...},"unknown_status":"reject"}: both replaced, tokens kept.
func (s *server) setIntegrationStatusRules(c *gin.Context) {
	var req admin.StatusRules
	if !bindJSON(c, &req) {
		return
	}
	in, err := s.admin.SetIntegrationStatusRules(c.Request.Context(), c.Param("account"), c.Param("slug"), req)
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusOK, s.newAPIIntegration(in, ""))
}

// setIntegrationDuplicateMode is PUT /v1/accounts/{account}/integrations/{slug}/duplicate_mode
// {"duplicate_mode":"add"}: ignore, new, edit or add (docs/rules.md); 422 for another word.
func (s *server) setIntegrationDuplicateMode(c *gin.Context) {
	var req admin.DuplicateModeRequest
	if !bindJSON(c, &req) {
		return
	}
	in, err := s.admin.SetIntegrationDuplicateMode(c.Request.Context(), c.Param("account"), c.Param("slug"), req)
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusOK, s.newAPIIntegration(in, ""))
}

// listIntegrations is GET /v1/accounts/{account}/integrations.
func (s *server) listIntegrations(c *gin.Context) {
	ins, err := s.Store.ListIntegrations(c.Request.Context(), c.Param("account"))
	if err != nil {
		s.failErr(c, "list integrations", err)
		return
	}
	out := make([]apiIntegration, 0, len(ins))
	for _, in := range ins {
		out = append(out, s.newAPIIntegration(in, ""))
	}
	c.JSON(http.StatusOK, gin.H{"integrations": out})
}

// getIntegration is GET /v1/accounts/{account}/integrations/{slug}.
func (s *server) getIntegration(c *gin.Context) {
	in, err := s.Store.GetIntegration(c.Request.Context(), c.Param("account"), c.Param("slug"))
	if err != nil {
		s.failErr(c, "integration "+quote(c.Param("slug")), err)
		return
	}
	c.JSON(http.StatusOK, s.newAPIIntegration(in, ""))
}

// deleteIntegration is DELETE /v1/accounts/{account}/integrations/{slug}.
func (s *server) deleteIntegration(c *gin.Context) {
	if err := s.admin.DeleteIntegration(c.Request.Context(), c.Param("account"), c.Param("slug")); err != nil {
		s.answer(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// addIntegrationToken is POST /v1/accounts/{account}/integrations/{slug}/tokens:
// a new token beside the live ones (rotation with overlap). The answer shows it,
// with the postback URL template that carries it: the only time it is shown.
func (s *server) addIntegrationToken(c *gin.Context) {
	in, t, err := s.admin.AddIntegrationToken(c.Request.Context(), c.Param("account"), c.Param("slug"))
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusCreated, apiNewToken{ID: t.ID, Token: t.Secret, Masked: admin.MaskToken(t.Secret), CreatedAt: t.CreatedAt,
		PostbackURLTemplate: s.postbackTemplate(in, t.Secret)})
}

// revokeIntegrationToken is DELETE /v1/accounts/{account}/integrations/{slug}/tokens/{id}.
func (s *server) revokeIntegrationToken(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	if err := s.admin.RevokeIntegrationToken(c.Request.Context(), c.Param("account"), c.Param("slug"), id); err != nil {
		s.answer(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
