package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Every integration, pb included, is closed by default: 403 without its token,
// 200 with it, and with the old one during a rotation until it is revoked.
func TestEveryIntegrationNeedsItsToken(t *testing.T) {
	h := newHarness(t)
	code, body := h.admin("POST", "/integrations", `{"slug":"net","preset":"custom"}`)
	if code != http.StatusCreated || body["open"] != false || body["has_token"] != true {
		t.Fatalf("create = %d %v, want a closed integration with a token", code, body)
	}
	tmpl, _ := body["postback_url_template"].(string)
	netToken := h.token("net")
	if !strings.Contains(tmpl, "token="+url.QueryEscape(netToken)) {
		t.Fatalf("template %q does not carry the token", tmpl)
	}
	pbToken := h.token("pb")
	if pbToken == netToken {
		t.Fatal("two integrations share a token")
	}
	acct := "/" + h.account.ID
	for _, ep := range []struct{ name, path, token string }{
		{"custom", acct + "/collect/net?click_id=a&transaction_id=T1", netToken},
		{"account pb", acct + "/pb?hit=a&tx=T2&rev=1", pbToken},
		{"global pb", "/pb?hit=a&tx=T3&rev=1", pbToken},
	} {
		t.Run(ep.name, func(t *testing.T) {
			if code, body := h.do("GET", ep.path, "", ""); code != http.StatusForbidden {
				t.Fatalf("without token: %d %v, want 403", code, body)
			}
			if code, _ := h.do("GET", ep.path+"&token=wrong-"+ep.token, "", ""); code != http.StatusForbidden {
				t.Fatalf("wrong token: %d, want 403", code)
			}
			other := netToken
			if ep.token == netToken {
				other = pbToken
			}
			if code, _ := h.do("GET", ep.path+"&token="+other, "", ""); code != http.StatusForbidden {
				t.Fatalf("another integration's token: %d, want 403", code)
			}
			if code, body := h.do("GET", ep.path+"&token="+url.QueryEscape(ep.token), "", ""); code != http.StatusOK {
				t.Fatalf("with token: %d %v, want 200", code, body)
			}
		})
	}
	// The token never reaches the postback log.
	for _, r := range h.log() {
		if strings.Contains(r.RawQuery, netToken) || strings.Contains(r.RawQuery, pbToken) || strings.Contains(r.RawQuery, "token=") {
			t.Fatalf("postback log row %d keeps the token: %q", r.ID, r.RawQuery)
		}
	}
}

func TestTokenRotationWithOverlap(t *testing.T) {
	h := newHarness(t)
	h.integration("net", "custom", `,"open":false`)
	oldToken := h.token("net")
	path := "/" + h.account.ID + "/collect/net?click_id=a&token="
	code, body := h.admin("POST", "/integrations/net/tokens", "")
	if code != http.StatusCreated {
		t.Fatalf("add token = %d %v", code, body)
	}
	newToken, _ := body["token"].(string)
	if newToken == "" || newToken == oldToken || !strings.Contains(body["postback_url_template"].(string), "token="+url.QueryEscape(newToken)) {
		t.Fatalf("new token answer %v", body)
	}
	for _, tok := range []string{oldToken, newToken} {
		if code, b := h.do("GET", path+url.QueryEscape(tok), "", ""); code != http.StatusOK {
			t.Fatalf("during rotation %q answered %d %v", tok, code, b)
		}
	}
	_, view := h.admin("GET", "/integrations/net", "")
	toks := view["tokens"].([]any)
	if len(toks) != 2 {
		t.Fatalf("tokens listed: %v", toks)
	}
	if strings.Contains(tokensJSON(toks), oldToken) {
		t.Fatal("the token list shows a secret")
	}
	oldID := int64(toks[0].(map[string]any)["id"].(float64))
	newID := int64(toks[1].(map[string]any)["id"].(float64))
	if code, _ := h.admin("DELETE", "/integrations/net/tokens/"+itoa(oldID), ""); code != http.StatusNoContent {
		t.Fatalf("revoke = %d", code)
	}
	if code, _ := h.do("GET", path+url.QueryEscape(oldToken), "", ""); code != http.StatusForbidden {
		t.Fatalf("revoked token answered %d, want 403", code)
	}
	if code, _ := h.do("GET", path+url.QueryEscape(newToken), "", ""); code != http.StatusOK {
		t.Fatalf("new token after revocation answered %d", code)
	}
	if code, _ := h.admin("DELETE", "/integrations/net/tokens/"+itoa(newID), ""); code != http.StatusConflict {
		t.Fatalf("revoking the last token = %d, want 409", code)
	}
	if code, _ := h.admin("DELETE", "/integrations/net/tokens/"+itoa(oldID), ""); code != http.StatusNotFound {
		t.Fatalf("revoking a revoked token = %d, want 404", code)
	}
}

func TestOpenOnlyWhenCreatedOpen(t *testing.T) {
	h := newHarness(t)
	code, body := h.admin("POST", "/integrations", `{"slug":"public","preset":"custom","open":true}`)
	if code != http.StatusCreated || body["open"] != true || body["has_token"] != false ||
		strings.Contains(body["postback_url_template"].(string), "token=") {
		t.Fatalf("open create = %d %v", code, body)
	}
	if code, _ := h.do("GET", "/"+h.account.ID+"/collect/public?click_id=a", "", ""); code != http.StatusOK {
		t.Fatalf("open integration answered %d", code)
	}
	_, list := h.admin("GET", "/integrations", "")
	for _, raw := range list["integrations"].([]any) {
		in := raw.(map[string]any)
		if want := in["slug"] == "public"; in["open"] != want {
			t.Fatalf("integration %v shows open=%v", in["slug"], in["open"])
		}
	}
}

// The tokens are stored sealed: the raw column holds ciphertext, not the token.
func TestIntegrationTokensAreEncryptedAtRest(t *testing.T) {
	h := newHarness(t)
	tok := h.token("pb")
	var raw string
	if err := h.st.Pool.QueryRow(context.Background(), `SELECT t.secret FROM integration_tokens t JOIN integrations i ON i.id = t.integration_id
		WHERE i.account_id = $1 AND i.slug = 'pb'`, h.account.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, tok) || strings.Contains(raw, strings.TrimPrefix(tok, "it_")) || !strings.HasPrefix(raw, "v1:") {
		t.Fatalf("raw column %q is not ciphertext of %q", raw, tok)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func tokensJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// A token parameter whose name is percent-encoded is read as the token by the
// query parser, so it is taken out of the logged query too.
func TestPercentEncodedTokenNameLeavesTheLog(t *testing.T) {
	h := newHarness(t)
	h.integration("net", "custom", `,"token":"net-token-0123456789abcdef"`)
	for i, name := range []string{"%74oken", "tok%65n", "%74%6F%6B%65%6E"} {
		path := "/" + h.account.ID + "/collect/net?click_id=a&transaction_id=PE" + strconv.Itoa(i) + "&" + name + "=net-token-0123456789abcdef"
		if code, body := h.do("GET", path, "", ""); code != http.StatusOK {
			t.Fatalf("%s=: %d %v, want 200", name, code, body)
		}
	}
	for _, r := range h.log() {
		if strings.Contains(r.RawQuery, "net-token-0123456789abcdef") {
			t.Fatalf("postback log row %d keeps the token: %q", r.ID, r.RawQuery)
		}
	}
}
