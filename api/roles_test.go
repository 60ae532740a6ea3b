package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
)

// allowedRoles is, for every /v1 route, the roles that may call it; "read" is a
// pre-roles read-only key. It is written here, apart from the rule table, so
// a change of rules shows in this test; a route added without a line here fails.
var allowedRoles = map[string]string{
	"GET /v1/accounts/:account/presets":                          "owner admin read",
	"GET /v1/accounts/:account/integrations":                     "owner admin read",
	"POST /v1/accounts/:account/integrations":                    "owner admin",
	"GET /v1/accounts/:account/integrations/:slug":               "owner admin read",
	"DELETE /v1/accounts/:account/integrations/:slug":            "owner admin",
	"POST /v1/accounts/:account/integrations/:slug/tokens":       "owner admin",
	"DELETE /v1/accounts/:account/integrations/:slug/tokens/:id": "owner admin",
	"GET /v1/accounts/:account/postbacks":                        "owner admin read",
	"GET /v1/accounts/:account/postbacks/export":                 "owner admin",
	"POST /v1/accounts/:account/postbacks/test":                  "owner admin",
	"POST /v1/accounts/:account/postbacks/:id/retry":             "owner admin",
	"GET /v1/accounts/:account/conversions":                      "owner admin buyer read",
	"GET /v1/accounts/:account/conversions/export":               "owner admin buyer read",
	"GET /v1/accounts/:account/conversions/:id":                  "owner admin buyer read",
	"GET /v1/accounts/:account/campaigns":                        "owner admin buyer read",
	"POST /v1/accounts/:account/campaigns":                       "owner admin",
	"GET /v1/accounts/:account/campaigns/:id":                    "owner admin buyer read",
	"PUT /v1/accounts/:account/campaigns/:id":                    "owner admin",
	"DELETE /v1/accounts/:account/campaigns/:id":                 "owner admin",
	"POST /v1/accounts/:account/clicks":                          "owner admin",
	"GET /v1/accounts/:account/destinations":                     "owner admin read",
	"POST /v1/accounts/:account/destinations":                    "owner admin",
	"GET /v1/accounts/:account/destinations/:id":                 "owner admin read",
	"PUT /v1/accounts/:account/destinations/:id":                 "owner admin",
	"DELETE /v1/accounts/:account/destinations/:id":              "owner admin",
	"POST /v1/accounts/:account/destinations/:id/test":           "owner admin",
	"POST /v1/accounts/:account/destinations/:id/backfill":       "owner admin",
	"GET /v1/accounts/:account/deliveries":                       "owner admin buyer read",
	"POST /v1/accounts/:account/deliveries/:id/retry":            "owner admin",
	"GET /v1/accounts/:account/reports":                          "owner admin buyer viewer read",
	"GET /v1/accounts/:account/keys":                             "owner admin read",
	"POST /v1/accounts/:account/keys":                            "owner admin",
	"DELETE /v1/accounts/:account/keys/:id":                      "owner admin",
	"POST /v1/accounts/:account/erasure":                         "owner admin",
	"GET /v1/accounts/:account/settings":                         "owner admin read",
	"PUT /v1/accounts/:account/settings":                         "owner admin",
	"POST /v1/accounts/:account/imports":                         "owner admin",
	"POST /v1/accounts/:account/costs":                           "owner admin",
	"POST /v1/accounts/:account/costs/import":                    "owner admin",
	"GET /v1/accounts/:account/audit":                            "owner admin read",
	"GET /v1/accounts/:account/users":                            "owner admin read",
	"POST /v1/accounts/:account/users":                           "owner",
	"DELETE /v1/accounts/:account/users/:id":                     "owner",
	"PUT /v1/accounts/:account/integrations/:slug/status_rules":  "owner admin",
	"GET /v1/accounts/:account/tag":                              "owner admin read",
	"PUT /v1/accounts/:account/tag":                              "owner admin",
}

// Every /v1 route against every role: a role the table allows is never
// refused (401/403) and never meets a route without a rule (500); any other
// role is answered 403. The routes come from the router itself.
func TestEveryRouteEveryRole(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	keys := map[string]string{}
	for _, role := range []string{"owner", "admin", "buyer", "viewer", "read"} {
		_, key, err := h.st.CreateScopedAPIKey(ctx, store.APIKey{AccountID: h.account.ID, Label: role, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		keys[role] = key
	}
	engine, ok := h.srv.Config.Handler.(*gin.Engine)
	if !ok {
		t.Fatalf("the API handler is a %T, not a gin engine", h.srv.Config.Handler)
	}
	seen := 0
	for _, r := range engine.Routes() {
		if !strings.HasPrefix(r.Path, "/v1/") {
			continue
		}
		seen++
		route := r.Method + " " + r.Path
		allowed, ok := allowedRoles[route]
		if !ok {
			t.Errorf("%s has no line in allowedRoles: say which roles may call it", route)
			continue
		}
		path := strings.NewReplacer(":account", h.account.ID, ":slug", "nosuch", ":id", "999999").Replace(r.Path)
		for role, key := range keys {
			body := ""
			if r.Method != http.MethodGet && r.Method != http.MethodDelete {
				body = "{}"
			}
			code, out := statusOf(t, h, r.Method, path, body, key)
			may := strings.Contains(" "+allowed+" ", " "+role+" ")
			switch {
			case may && (code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusInternalServerError):
				t.Errorf("%s as %s: %d %v, want it let through", route, role, code, out)
			case !may && code != http.StatusForbidden:
				t.Errorf("%s as %s: %d %v, want 403", route, role, code, out)
			}
		}
	}
	if seen != len(allowedRoles) {
		t.Errorf("the router has %d /v1 routes, allowedRoles %d lines: remove the lines of routes that are gone", seen, len(allowedRoles))
	}
}

// statusOf sends a request and returns its status and the start of its answer
// (CSV exports answer non-JSON).
func statusOf(t *testing.T, h *harness, method, path, body, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(raw)
}
