package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// routeActions names the admin action of every /v1 route; the rule of who may
// do it is admin's (admin.Allowed), written once. A route missing here is
// refused (500, logged) and fails TestEveryRouteEveryRole.
var routeActions = map[string]admin.Action{
	"GET /v1/accounts/:account/presets":                          admin.ActReadSetup,
	"GET /v1/accounts/:account/integrations":                     admin.ActReadSetup,
	"POST /v1/accounts/:account/integrations":                    admin.ActChangeSetup,
	"GET /v1/accounts/:account/integrations/:slug":               admin.ActReadSetup,
	"DELETE /v1/accounts/:account/integrations/:slug":            admin.ActChangeSetup,
	"POST /v1/accounts/:account/integrations/:slug/tokens":       admin.ActChangeSetup,
	"DELETE /v1/accounts/:account/integrations/:slug/tokens/:id": admin.ActChangeSetup,
	"GET /v1/accounts/:account/postbacks":                        admin.ActReadPostbacks,
	"GET /v1/accounts/:account/postbacks/export":                 admin.ActExportPostbacks,
	"POST /v1/accounts/:account/postbacks/test":                  admin.ActChangeSetup,
	"POST /v1/accounts/:account/postbacks/:id/retry":             admin.ActRedrive,
	"GET /v1/accounts/:account/conversions":                      admin.ActReadConversions,
	"GET /v1/accounts/:account/conversions/export":               admin.ActReadConversions,
	"GET /v1/accounts/:account/conversions/:id":                  admin.ActReadConversions,
	"GET /v1/accounts/:account/campaigns":                        admin.ActReadCampaigns,
	"POST /v1/accounts/:account/campaigns":                       admin.ActChangeSetup,
	"GET /v1/accounts/:account/campaigns/:id":                    admin.ActReadCampaigns,
	"PUT /v1/accounts/:account/campaigns/:id":                    admin.ActChangeSetup,
	"DELETE /v1/accounts/:account/campaigns/:id":                 admin.ActChangeSetup,
	"POST /v1/accounts/:account/clicks":                          admin.ActChangeSetup,
	"GET /v1/accounts/:account/destinations":                     admin.ActReadSetup,
	"POST /v1/accounts/:account/destinations":                    admin.ActChangeSetup,
	"GET /v1/accounts/:account/destinations/:id":                 admin.ActReadSetup,
	"PUT /v1/accounts/:account/destinations/:id":                 admin.ActChangeSetup,
	"DELETE /v1/accounts/:account/destinations/:id":              admin.ActChangeSetup,
	"POST /v1/accounts/:account/destinations/:id/test":           admin.ActTestDestinations,
	"POST /v1/accounts/:account/destinations/:id/backfill":       admin.ActRedrive,
	"GET /v1/accounts/:account/deliveries":                       admin.ActReadDeliveries,
	"POST /v1/accounts/:account/deliveries/:id/retry":            admin.ActRedrive,
	"GET /v1/accounts/:account/reports":                          admin.ActReports,
	"GET /v1/accounts/:account/keys":                             admin.ActReadSetup,
	"POST /v1/accounts/:account/keys":                            admin.ActManageKeys,
	"DELETE /v1/accounts/:account/keys/:id":                      admin.ActManageKeys,
	"POST /v1/accounts/:account/erasure":                         admin.ActErase,
	"GET /v1/accounts/:account/settings":                         admin.ActReadSetup,
	"PUT /v1/accounts/:account/settings":                         admin.ActChangeSetup,
	"POST /v1/accounts/:account/imports":                         admin.ActImport,
	"POST /v1/accounts/:account/costs":                           admin.ActImport,
	"POST /v1/accounts/:account/costs/import":                    admin.ActImport,
	"GET /v1/accounts/:account/audit":                            admin.ActReadAudit,
	"GET /v1/accounts/:account/users":                            admin.ActReadUsers,
	"POST /v1/accounts/:account/users":                           admin.ActManageUsers,
	"DELETE /v1/accounts/:account/users/:id":                     admin.ActManageUsers,
	"PUT /v1/accounts/:account/integrations/:slug/status_rules":  admin.ActChangeSetup,
	"GET /v1/accounts/:account/tag":                              admin.ActReadSetup,
	"PUT /v1/accounts/:account/tag":                              admin.ActChangeSetup,
}

// authorize lets a request through when its principal may do its route's action.
func (s *server) authorize(c *gin.Context) {
	a, ok := routeActions[c.Request.Method+" "+c.FullPath()]
	if !ok {
		s.Logger.Error("route without an admin action", "method", c.Request.Method, "path", c.FullPath())
		fail(c, http.StatusInternalServerError, "internal error")
		return
	}
	if _, err := admin.Authorize(c.Request.Context(), c.Param("account"), a); err != nil {
		s.answer(c, err)
		return
	}
	c.Next()
}

// principal is who asks (set by authenticate).
func principal(c *gin.Context) admin.Principal {
	p, _ := admin.PrincipalFrom(c.Request.Context())
	return p
}
