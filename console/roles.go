package console

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// pageActions names the admin action of every console page and form; admin's
// rule table (admin.Allowed) decides who may. Sign-out needs none.
var pageActions = map[string]admin.Action{
	"GET /console":                                       admin.ActReports,
	"GET /console/":                                      admin.ActReports,
	"GET /console/integrations":                          admin.ActReadSetup,
	"POST /console/integrations":                         admin.ActChangeSetup,
	"POST /console/integrations/test":                    admin.ActChangeSetup,
	"POST /console/integrations/:slug/tokens":            admin.ActChangeSetup,
	"POST /console/integrations/:slug/tokens/:id/revoke": admin.ActChangeSetup,
	"GET /console/postbacks":                             admin.ActReadPostbacks,
	"GET /console/postbacks/:id":                         admin.ActReadPostbacks,
	"POST /console/postbacks/:id/retry":                  admin.ActRedrive,
	"GET /console/conversions":                           admin.ActReadConversions,
	"GET /console/conversions/:id":                       admin.ActReadConversions,
	"GET /console/deliveries":                            admin.ActReadDeliveries,
	"POST /console/deliveries/:id/retry":                 admin.ActRedrive,
	"GET /console/campaigns":                             admin.ActReadCampaigns,
	"POST /console/campaigns":                            admin.ActChangeSetup,
	"GET /console/destinations":                          admin.ActReadSetup,
	"POST /console/destinations":                         admin.ActChangeSetup,
	"POST /console/destinations/:id/test":                admin.ActTestDestinations,
	"POST /console/destinations/:id/backfill":            admin.ActRedrive,
	"GET /console/reports":                               admin.ActReports,
	"GET /console/reports.csv":                           admin.ActReports,
	"GET /console/audit":                                 admin.ActReadAudit,
	"GET /console/users":                                 admin.ActReadUsers,
	"POST /console/users":                                admin.ActManageUsers,
	"POST /console/users/:id/revoke":                     admin.ActManageUsers,
	"GET /console/keys":                                  admin.ActReadSetup,
	"POST /console/keys":                                 admin.ActManageKeys,
	"POST /console/keys/:id/revoke":                      admin.ActManageKeys,
	"POST /console/signout-everywhere":                   "",
	"GET /console/security":                              "", // a person's own second factor: admin checks it is a person
	"POST /console/security/totp":                        "",
	"POST /console/security/totp/confirm":                "",
	"POST /console/security/totp/disable":                "",
	"POST /console/users/:id/totp/disable":               admin.ActManageUsers,
	"GET /console/settings":                              admin.ActReadSetup,
	"POST /console/settings":                             admin.ActChangeSetup,
	"GET /console/import":                                admin.ActImport,
	"POST /console/import":                               admin.ActImport,
	"GET /console/erasure":                               admin.ActErase,
	"POST /console/erasure":                              admin.ActErase,
	"POST /console/logout":                               "",
}

// allowed answers 403 (and false) for a page the principal may not open.
func (s *Console) allowed(c *gin.Context, p admin.Principal) bool {
	a, ok := pageActions[c.Request.Method+" "+c.FullPath()]
	if !ok {
		s.Logger.Error("console page without an admin action", "method", c.Request.Method, "path", c.FullPath())
		c.String(http.StatusInternalServerError, "internal error")
		return false
	}
	if a == "" {
		return true
	}
	if _, err := admin.Authorize(c.Request.Context(), consoleAccountOf(p), a); err != nil {
		msg := admin.AsError(err).Message
		if p.LegacyReads {
			msg = "this key is read-only"
		}
		c.String(http.StatusForbidden, msg)
		return false
	}
	return true
}

func consoleAccountOf(p admin.Principal) string { return p.Account }

// consolePrincipal is who is signed in.
func consolePrincipal(c *gin.Context) admin.Principal {
	p, _ := admin.PrincipalFrom(c.Request.Context())
	return p
}
