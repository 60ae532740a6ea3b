package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestDestinationNamingARefusedAddressIs422(t *testing.T) {
	h := newHarness(t) // CONVRELAY_DESTINATION_ALLOW is empty here
	for _, tc := range []struct{ body, want string }{
		{`{"type":"webhook","config":{"url":"http://169.254.169.254/latest/meta-data"}}`, "169.254.169.254"},
		{`{"type":"postback","config":{"url":"http://10.0.0.7/pb?c={click_id}"}}`, "10.0.0.7"},
		{`{"type":"meta","endpoint":"http://graph.example.com","config":{"pixel_id":"1","access_token":"EAAB-secret-1234"}}`, "https only"},
	} {
		code, body := h.admin("POST", "/destinations", tc.body)
		msg, _ := body["error"].(string)
		if code != http.StatusUnprocessableEntity || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %v, want 422 naming %q", tc.body, code, body, tc.want)
		}
	}
	code, body := h.admin("POST", "/destinations", `{"type":"webhook","config":{"url":"https://hooks.example.com/in"}}`)
	if code != http.StatusCreated {
		t.Fatalf("public webhook: %d %v", code, body)
	}
	if secret, _ := body["webhook_secret"].(string); !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
		t.Fatalf("a webhook created without a secret shows its generated whsec_ secret once: %v", body)
	}
	if code, body := h.admin("POST", "/destinations", `{"type":"webhook","config":{"url":"https://hooks.example.com/in","secret":"whsec_not base64!"}}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("malformed whsec_ secret: %d %v", code, body)
	}
	id := itoa(int64(body["id"].(float64)))
	if code, body := h.admin("PUT", "/destinations/"+id, `{"type":"webhook","config":{"url":"http://127.0.0.1:8080/x"}}`); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body["error"].(string), "127.0.0.1") {
		t.Fatalf("update to loopback: %d %v", code, body)
	}
}

func TestDestinationSecretsAreSealedAndDoNotFollowANewHost(t *testing.T) {
	h := newHarness(t)
	const token = "EAAB-meta-secret-token-98765"
	code, body := h.admin("POST", "/destinations", `{"type":"meta","config":{"pixel_id":"123","access_token":"`+token+`"}}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	id := itoa(int64(body["id"].(float64)))
	var raw string
	if err := h.st.Pool.QueryRow(context.Background(), `SELECT config::text FROM destinations WHERE id = $1`, body["id"]).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, token) || strings.Contains(raw, "98765") || !strings.Contains(raw, `"access_token": "v1:`) || !strings.Contains(raw, `"123"`) {
		t.Fatalf("raw config column %s: want the token sealed and the pixel id readable", raw)
	}
	masked := body["config"].(map[string]any)["access_token"].(string)
	// Same host, masked secret sent back: kept.
	if code, body := h.admin("PUT", "/destinations/"+id, `{"type":"meta","config":{"pixel_id":"456","access_token":"`+masked+`"}}`); code != http.StatusOK {
		t.Fatalf("update on the same host: %d %v", code, body)
	}
	d, err := h.st.GetDestination(context.Background(), h.account.ID, int64(body["id"].(float64)))
	if err != nil || d.Config["access_token"] != token {
		t.Fatalf("stored secret after update: %q %v", d.Config["access_token"], err)
	}
	// Another host with the masked secret: refused; with the secret entered again: accepted.
	moved := `{"type":"meta","endpoint":"https://proxy.example.com","config":{"pixel_id":"456","access_token":"%s"}}`
	if code, body := h.admin("PUT", "/destinations/"+id, strings.Replace(moved, "%s", masked, 1)); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body["error"].(string), "access_token") {
		t.Fatalf("new host with the masked secret: %d %v, want 422", code, body)
	}
	if code, body := h.admin("PUT", "/destinations/"+id, strings.Replace(moved, "%s", token, 1)); code != http.StatusOK {
		t.Fatalf("new host with the secret entered: %d %v", code, body)
	}
}

// Changing where a Google Ads destination takes its tokens from, with the
// secrets sent back masked, would ship the refresh token and client secret to
// the new host: refused with 422 naming the secrets to enter again.
func TestChangedTokenURLWithMaskedSecretsIs422(t *testing.T) {
	h := newHarness(t)
	const create = `{"type":"google_ads","config":{"customer_id":"123-456-7890","conversion_action":"987",
		"developer_token":"devtoken-WXYZ-1234","client_id":"cid.apps.googleusercontent.com",
		"client_secret":"GOCSPX-client-secret-5678","refresh_token":"1//0g-refresh-token-9012"}}`
	code, body := h.admin("POST", "/destinations", create)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	destID := int64(body["id"].(float64))
	id := itoa(destID)
	cfg := body["config"].(map[string]any)
	edit := func(tokenURL string) (int, map[string]any) {
		return h.admin("PUT", "/destinations/"+id, `{"type":"google_ads","config":{"customer_id":"123-456-7890","conversion_action":"987",
			"developer_token":"`+cfg["developer_token"].(string)+`","client_id":"cid.apps.googleusercontent.com",
			"client_secret":"`+cfg["client_secret"].(string)+`","refresh_token":"`+cfg["refresh_token"].(string)+`",
			"token_url":"`+tokenURL+`"}}`)
	}
	code, body = edit("https://tokens.attacker.example/token")
	msg, _ := body["error"].(string)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("token_url moved with masked secrets: %d %v, want 422", code, body)
	}
	for _, f := range []string{"client_secret", "refresh_token", "developer_token", "token_url"} {
		if !strings.Contains(msg, f) {
			t.Errorf("the answer %q does not name %s", msg, f)
		}
	}
	d, err := h.st.GetDestination(context.Background(), h.account.ID, destID)
	if err != nil || d.Config["token_url"] != "" || d.Config["refresh_token"] != "1//0g-refresh-token-9012" {
		t.Fatalf("stored after the refused edit: %v %v", d.Config, err)
	}
	// Google's own token endpoint is where the secrets already go: kept.
	if code, body := edit("https://oauth2.googleapis.com/token"); code != http.StatusOK {
		t.Fatalf("token_url set to Google's: %d %v", code, body)
	}
}
