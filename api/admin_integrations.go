package api

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func (s *server) integrationBase(in store.Integration) string {
	if in.Slug == "pb" {
		return s.Config.PublicURL + "/" + in.AccountID + "/pb"
	}
	return s.Config.PublicURL + "/" + in.AccountID + "/collect/" + in.Slug
}

// postbackTemplate is the URL a network is given, with token= when there is one
// (or the placeholder standing for it).
func (s *server) postbackTemplate(in store.Integration, token string) string {
	tmpl := postback.PostbackURLTemplate(s.integrationBase(in), postback.Integration{Preset: in.Preset, FieldMap: in.FieldMap})
	if token != "" {
		sep := "?"
		if containsQuery(tmpl) {
			sep = "&"
		}
		if token != tokenPlaceholder { // the placeholder reads as the template's other macros
			token = url.QueryEscape(token)
		}
		tmpl += sep + "token=" + token
	}
	return tmpl
}

func containsQuery(u string) bool {
	for _, r := range u {
		if r == '?' {
			return true
		}
	}
	return false
}

// listPresets is GET /v1/accounts/{account}/presets.
func (s *server) listPresets(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"presets": postback.Presets()})
}

// createIntegration is POST /v1/accounts/{account}/integrations
// {"slug","preset","token","open","allowed_cidrs":[...],"field_map":{...}}. An
// integration gets a random token unless one is given or it is created open.
func (s *server) createIntegration(c *gin.Context) {
	var req struct {
		Slug         string            `json:"slug"`
		Preset       string            `json:"preset"`
		Token        string            `json:"token"`
		Open         bool              `json:"open"`
		AllowedCIDRs []string          `json:"allowed_cidrs"`
		FieldMap     map[string]string `json:"field_map"`
		statusRules
	}
	if !bindJSON(c, &req) {
		return
	}
	if !req.statusRules.valid(c) {
		return
	}
	if !slugPattern.MatchString(req.Slug) {
		fail(c, http.StatusUnprocessableEntity, "slug must be 1-63 lower-case letters, digits, '-' or '_'")
		return
	}
	if req.Preset == "" {
		req.Preset = "custom"
	}
	if _, ok := postback.LookupPreset(req.Preset); !ok {
		fail(c, http.StatusUnprocessableEntity, "unknown preset "+quote(req.Preset)+"; GET /v1/accounts/{account}/presets lists them")
		return
	}
	for _, cidr := range req.AllowedCIDRs {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			fail(c, http.StatusUnprocessableEntity, "allowed_cidrs: "+quote(cidr)+" is not a CIDR like 203.0.113.0/24")
			return
		}
	}
	if req.Open && req.Token != "" {
		fail(c, http.StatusUnprocessableEntity, "an open integration takes no token")
		return
	}
	in := store.Integration{AccountID: c.Param("account"), Slug: req.Slug, Open: req.Open,
		Preset: req.Preset, AllowedCIDRs: req.AllowedCIDRs, FieldMap: req.FieldMap,
		StatusMap: req.StatusMap, UnknownStatus: req.UnknownStatus}
	if req.Token != "" {
		in.Tokens = []store.IntegrationToken{{Secret: req.Token}}
	}
	in, err := s.Store.CreateIntegration(c.Request.Context(), in)
	if err != nil {
		s.failErr(c, "integration "+quote(req.Slug), err)
		return
	}
	s.Accounts.ForgetIntegration(in.AccountID, in.Slug)
	shown := ""
	if !in.Open && len(in.Tokens) > 0 {
		shown = in.Tokens[len(in.Tokens)-1].Secret // the answer that creates a token shows it, once
	}
	c.JSON(http.StatusCreated, s.newAPIIntegration(in, shown))
}

// statusRules is how an integration reads status words beyond its preset
// (docs/rules.md): status_map (word or code -> pending, approved, rejected or
// ignore) and unknown_status (approve, the default, or reject).
type statusRules struct {
	StatusMap     map[string]string `json:"status_map"`
	UnknownStatus string            `json:"unknown_status"`
}

func (r statusRules) valid(c *gin.Context) bool {
	if len(r.StatusMap) > 200 {
		fail(c, http.StatusUnprocessableEntity, "status_map: at most 200 words")
		return false
	}
	for _, err := range []error{postback.ValidateStatusMap(r.StatusMap), postback.ValidateUnknownStatus(r.UnknownStatus)} {
		if err != nil {
			fail(c, http.StatusUnprocessableEntity, err.Error())
			return false
		}
	}
	return true
}

// setIntegrationStatusRules is PUT /v1/accounts/{account}/integrations/{slug}/status_rules
// {"status_map":{...},"unknown_status":"reject"}: both replaced, tokens kept.
func (s *server) setIntegrationStatusRules(c *gin.Context) {
	var req statusRules
	if !bindJSON(c, &req) || !req.valid(c) {
		return
	}
	in, err := s.Store.SetIntegrationStatusRules(c.Request.Context(), c.Param("account"), c.Param("slug"), req.StatusMap, req.UnknownStatus)
	if err != nil {
		s.failErr(c, "integration "+quote(c.Param("slug")), err)
		return
	}
	s.Accounts.ForgetIntegration(in.AccountID, in.Slug)
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
	if err := s.Store.DeleteIntegration(c.Request.Context(), c.Param("account"), c.Param("slug")); err != nil {
		s.failErr(c, "integration "+quote(c.Param("slug")), err)
		return
	}
	s.Accounts.ForgetIntegration(c.Param("account"), c.Param("slug"))
	c.Status(http.StatusNoContent)
}

// addIntegrationToken is POST /v1/accounts/{account}/integrations/{slug}/tokens:
// a new token beside the live ones (rotation with overlap). The answer shows it,
// with the postback URL template that carries it: the only time it is shown.
func (s *server) addIntegrationToken(c *gin.Context) {
	in, err := s.Store.GetIntegration(c.Request.Context(), c.Param("account"), c.Param("slug"))
	if err != nil {
		s.failErr(c, "integration "+quote(c.Param("slug")), err)
		return
	}
	t, err := s.Store.AddIntegrationToken(c.Request.Context(), in.AccountID, in.Slug)
	if err != nil {
		s.failErr(c, "integration "+quote(in.Slug), err)
		return
	}
	s.Accounts.ForgetIntegration(in.AccountID, in.Slug)
	s.Logger.Info("integration token added", "account_id", in.AccountID, "integration", in.Slug, "token_id", t.ID)
	c.JSON(http.StatusCreated, apiNewToken{ID: t.ID, Token: t.Secret, Masked: maskToken(t.Secret), CreatedAt: t.CreatedAt,
		PostbackURLTemplate: s.postbackTemplate(in, t.Secret)})
}

// revokeIntegrationToken is DELETE /v1/accounts/{account}/integrations/{slug}/tokens/{id}.
func (s *server) revokeIntegrationToken(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	account, slug := c.Param("account"), c.Param("slug")
	if err := s.Store.RevokeIntegrationToken(c.Request.Context(), account, slug, id); err != nil {
		if errors.Is(err, store.ErrLastToken) {
			fail(c, http.StatusConflict, store.ErrLastToken.Error())
			return
		}
		s.failErr(c, "token", err)
		return
	}
	s.Accounts.ForgetIntegration(account, slug)
	s.Logger.Info("integration token revoked", "account_id", account, "integration", slug, "token_id", id)
	c.Status(http.StatusNoContent)
}
