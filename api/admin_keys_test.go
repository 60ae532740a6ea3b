package api_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestAdminKeysCreateListRevokeAndReadOnlyRole(t *testing.T) {
	h := newHarness(t)
	code, body := h.admin("POST", "/keys", `{"label":"dashboard","role":"read"}`)
	if code != http.StatusCreated || body["role"] != "read" {
		t.Fatalf("create read key: %d %v", code, body)
	}
	readKey := body["key"].(string)
	readID := itoa(int64(body["id"].(float64)))
	asRead := func(method, path, payload string) int {
		code, _ := h.do(method, "/v1/accounts/"+h.account.ID+path, "application/json", payload, "Authorization", "Bearer "+readKey)
		return code
	}
	for _, path := range []string{"/integrations", "/conversions", "/destinations", "/keys"} {
		if code := asRead("GET", path, ""); code != http.StatusOK {
			t.Errorf("read key GET %s = %d, want 200", path, code)
		}
	}
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/integrations", `{"slug":"x","preset":"custom"}`},
		{"DELETE", "/integrations/pb", ""},
		{"POST", "/keys", `{"role":"admin"}`},
		{"PUT", "/campaigns/1", `{}`},
	} {
		if code := asRead(tc.method, tc.path, tc.body); code != http.StatusForbidden {
			t.Errorf("read key %s %s = %d, want 403", tc.method, tc.path, code)
		}
	}
	_, pbView := h.do("GET", "/v1/accounts/"+h.account.ID+"/integrations/pb", "", "", "Authorization", "Bearer "+readKey)
	if tmpl, _ := pbView["postback_url_template"].(string); strings.Contains(tmpl, h.token("pb")) || !strings.Contains(tmpl, "token=") {
		t.Fatalf("a read-only key sees the intake token: %q", tmpl)
	}
	if _, b := h.admin("GET", "/integrations/pb", ""); b["slug"] != "pb" {
		t.Fatal("the read key's refused DELETE removed the integration")
	}

	_, list := h.admin("GET", "/keys", "")
	keys := list["keys"].([]any)
	if len(keys) != 2 || strings.Contains(tokensJSON(list), readKey) || strings.Contains(tokensJSON(list), h.key) {
		t.Fatalf("list shows %d keys or a key itself: %v", len(keys), list)
	}
	var usedRead bool
	for _, raw := range keys {
		k := raw.(map[string]any)
		if k["role"] == "read" && k["last_used_at"] != nil {
			usedRead = true
		}
	}
	if !usedRead {
		t.Fatalf("the read key's last use is not recorded: %v", keys)
	}

	if code, _ := h.admin("DELETE", "/keys/"+readID, ""); code != http.StatusNoContent {
		t.Fatalf("revoke = %d", code)
	}
	if code := asRead("GET", "/integrations", ""); code != http.StatusUnauthorized {
		t.Fatalf("revoked key = %d, want 401", code)
	}
	initial := itoa(int64(keys[0].(map[string]any)["id"].(float64)))
	if code, _ := h.admin("DELETE", "/keys/"+initial, ""); code != http.StatusConflict {
		t.Fatalf("revoking the last admin key = %d, want 409", code)
	}
}
