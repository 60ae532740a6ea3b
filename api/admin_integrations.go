package api

import (
	"net"
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

type integrationView struct {
	store.Integration
	HasToken            bool   `json:"has_token"`
	PostbackURL         string `json:"postback_url"`
	PostbackURLTemplate string `json:"postback_url_template"`
}

func (s *server) viewIntegration(in store.Integration) integrationView {
	base := s.Config.PublicURL + "/" + in.AccountID + "/collect/" + in.Slug
	if in.Slug == "pb" {
		base = s.Config.PublicURL + "/" + in.AccountID + "/pb"
	}
	tmpl := postback.PostbackURLTemplate(base, postback.Integration{Preset: in.Preset, FieldMap: in.FieldMap})
	if in.Token != "" {
		sep := "?"
		if containsQuery(tmpl) {
			sep = "&"
		}
		tmpl += sep + "token=" + in.Token
	}
	return integrationView{Integration: in, HasToken: in.Token != "", PostbackURL: base, PostbackURLTemplate: tmpl}
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
// {"slug","preset","token","allowed_cidrs":[...],"field_map":{...}}.
func (s *server) createIntegration(c *gin.Context) {
	var req struct {
		Slug         string            `json:"slug"`
		Preset       string            `json:"preset"`
		Token        string            `json:"token"`
		AllowedCIDRs []string          `json:"allowed_cidrs"`
		FieldMap     map[string]string `json:"field_map"`
	}
	if !bindJSON(c, &req) {
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
	in, err := s.Store.CreateIntegration(c.Request.Context(), store.Integration{AccountID: c.Param("account"), Slug: req.Slug,
		Preset: req.Preset, Token: req.Token, AllowedCIDRs: req.AllowedCIDRs, FieldMap: req.FieldMap})
	if err != nil {
		s.failErr(c, "integration "+quote(req.Slug), err)
		return
	}
	s.cache.forget(in.AccountID, in.Slug)
	c.JSON(http.StatusCreated, s.viewIntegration(in))
}

// listIntegrations is GET /v1/accounts/{account}/integrations.
func (s *server) listIntegrations(c *gin.Context) {
	ins, err := s.Store.ListIntegrations(c.Request.Context(), c.Param("account"))
	if err != nil {
		s.failErr(c, "list integrations", err)
		return
	}
	out := make([]integrationView, 0, len(ins))
	for _, in := range ins {
		out = append(out, s.viewIntegration(in))
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
	c.JSON(http.StatusOK, s.viewIntegration(in))
}

// deleteIntegration is DELETE /v1/accounts/{account}/integrations/{slug}.
func (s *server) deleteIntegration(c *gin.Context) {
	if err := s.Store.DeleteIntegration(c.Request.Context(), c.Param("account"), c.Param("slug")); err != nil {
		s.failErr(c, "integration "+quote(c.Param("slug")), err)
		return
	}
	s.cache.forget(c.Param("account"), c.Param("slug"))
	c.Status(http.StatusNoContent)
}
