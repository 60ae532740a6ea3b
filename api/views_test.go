package api_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/convrelay/convrelay/internal/store"
)

// keysOf checks an answer object's field names: every required one is there,
// and nothing outside required and optional (a renamed or leaked field fails).
func keysOf(t *testing.T, what string, v any, required, optional string) {
	t.Helper()
	obj, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is not an object: %v", what, v)
	}
	allowed := map[string]bool{}
	for _, k := range strings.Fields(required) {
		if _, ok := obj[k]; !ok {
			t.Errorf("%s lacks %q: %v", what, k, obj)
		}
		allowed[k] = true
	}
	for _, k := range strings.Fields(optional) {
		allowed[k] = true
	}
	var extra []string
	for k := range obj {
		if !allowed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("%s has fields the API does not document: %v", what, extra)
	}
}

func first(t *testing.T, body map[string]any, list string) any {
	t.Helper()
	rows, _ := body[list].([]any)
	if len(rows) == 0 {
		t.Fatalf("%s is empty: %v", list, body)
	}
	return rows[0]
}

// Every admin answer has the field names the README documents, and none
// carries a secret: not a destination credential, a webhook signing secret, an
// integration token (after the answer that made it) or an admin key or its hash.
func TestAdminAnswersKeepTheirFieldsAndHoldNoSecret(t *testing.T) {
	h := newHarness(t, allowLoopback)
	const metaToken = "EAAB-views-secret-token-4242"
	code, meta := h.admin("POST", "/destinations", `{"type":"meta","name":"pixel","config":{"pixel_id":"123","access_token":"`+metaToken+`"}}`)
	if code != http.StatusCreated {
		t.Fatalf("meta destination: %d %v", code, meta)
	}
	keysOf(t, "created destination", meta, "id account_id type name endpoint config fire_on campaign_id enabled created_at updated_at", "")
	code, hook := h.admin("POST", "/destinations", `{"type":"webhook","name":"crm","config":{"url":"http://127.0.0.1:9/hook"}}`)
	whsec, _ := hook["webhook_secret"].(string)
	if code != http.StatusCreated || !strings.HasPrefix(whsec, "whsec_") {
		t.Fatalf("webhook destination: %d %v", code, hook)
	}
	code, in := h.admin("POST", "/integrations", `{"slug":"net","preset":"custom"}`)
	netToken, _ := in["token"].(string)
	if code != http.StatusCreated || netToken == "" || netToken != h.token("net") {
		t.Fatalf("create integration shows its token once: %d %v", code, in)
	}
	keysOf(t, "created integration", in, "id account_id slug preset open allowed_cidrs field_map status_map unknown_status duplicate_mode created_at has_token tokens postback_url postback_url_template token", "")
	code, key := h.admin("POST", "/keys", `{"label":"dash","role":"read"}`)
	readKey, _ := key["key"].(string)
	if code != http.StatusCreated || readKey == "" {
		t.Fatalf("create key: %d %v", code, key)
	}
	keysOf(t, "created key", key, "id account_id label role created_at last_used_at key", "")
	if code, cp := h.admin("POST", "/campaigns", `{"name":"spring","offer_url":"https://offer.example/?s={click_id}","default_payout":"2.50"}`); code != http.StatusCreated {
		t.Fatalf("campaign: %d %v", code, cp)
	}
	code, pb := h.do("GET", "/"+h.account.ID+"/collect/net?click_id=nope&transaction_id=V-1&commission=12.5&status=approved&token="+netToken, "", "")
	if code != http.StatusOK {
		t.Fatalf("postback: %d %v", code, pb)
	}
	h.apply(t, int64(pb["postback_id"].(float64)))

	secrets := map[string]string{"meta access token": metaToken, "webhook secret": whsec, "net token": netToken,
		"pb token": h.token("pb"), "read key": readKey, "admin key": h.key, "read key hash": store.HashKey(readKey),
		"admin key hash": store.HashKey(h.key)}
	get := func(path string) map[string]any {
		t.Helper()
		code, body := h.admin("GET", path, "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, code, body)
		}
		raw := tokensJSON(body)
		for what, s := range secrets {
			if strings.Contains(raw, s) {
				t.Errorf("GET %s shows the %s", path, what)
			}
		}
		return body
	}

	in = get("/integrations/net")
	keysOf(t, "integration", in, "id account_id slug preset open allowed_cidrs field_map status_map unknown_status duplicate_mode created_at has_token tokens postback_url postback_url_template", "")
	keysOf(t, "integration token", first(t, in, "tokens"), "id masked created_at", "")
	keysOf(t, "listed integration", first(t, get("/integrations"), "integrations"),
		"id account_id slug preset open allowed_cidrs field_map status_map unknown_status duplicate_mode created_at has_token tokens postback_url postback_url_template", "")
	ds := get("/destinations")
	keysOf(t, "destination", first(t, ds, "destinations"), "id account_id type name endpoint config fire_on campaign_id enabled created_at updated_at", "")
	get("/destinations/" + itoa(int64(meta["id"].(float64))))
	keysOf(t, "key", first(t, get("/keys"), "keys"), "id account_id label role created_at last_used_at", "revoked_at")
	keysOf(t, "campaign", first(t, get("/campaigns"), "campaigns"),
		"id slug name offer_url default_payout traffic_source traffic_source_postback attribution_window_days traffic_source_fire_on payout caps cap_action duplicate_mode created_at updated_at tracking_url", "")
	keysOf(t, "postback", first(t, get("/postbacks"), "postbacks"),
		"id account_id integration method path raw_query raw_body source_ip received_at canonical transaction_id workflow_id outcome",
		"error failed_reason note dispatched_at processed_at")
	convs := get("/conversions")
	const convFields = "id transaction_id tx_key rebill integration status value currency value_account account_currency rate rate_date event_name " +
		"click_id campaign_id traffic_source attributed unattributed_reason converted_at created_at updated_at workflow_id deliveries"
	c := first(t, convs, "conversions").(map[string]any)
	keysOf(t, "listed conversion", c, convFields, "")
	one := get("/conversions/" + itoa(int64(c["id"].(float64))))
	keysOf(t, "conversion", one, convFields+" history postback", "")
	keysOf(t, "history entry", first(t, one, "history"), "postback_id from to value at", "")
	keysOf(t, "conversion's delivery", first(t, one, "deliveries"),
		"id conversion_id destination_id destination_type destination_name transaction_id workflow_id kind event_id status attempts last_code created_at updated_at origin",
		"last_error delivered_at")
	keysOf(t, "delivery", first(t, get("/deliveries"), "deliveries"),
		"id conversion_id destination_id destination_type destination_name transaction_id workflow_id kind event_id status attempts last_code created_at updated_at origin",
		"last_error delivered_at")
	rep := get("/reports?group_by=campaign")
	keysOf(t, "report", rep, "group_by filters from to timezone currency rows", "")
	keysOf(t, "report row", first(t, rep, "rows"), "key group clicks pending approved rejected conversions unconverted revenue conversion_rate epc cost profit roi cpa", "")
}

// An integration's token is shown in full only in the answer that makes it
// (creation, rotation); afterwards the API shows it masked and the template
// carries {token}. The intake takes the tokens all along.
func TestIntegrationTokenIsShownOnce(t *testing.T) {
	h := newHarness(t)
	code, body := h.admin("POST", "/integrations", `{"slug":"net","preset":"custom"}`)
	token, _ := body["token"].(string)
	if code != http.StatusCreated || !strings.HasPrefix(token, "it_") || !strings.Contains(body["postback_url_template"].(string), "token="+token) {
		t.Fatalf("create: %d %v", code, body)
	}
	shownMasked := func(view map[string]any, tokens ...string) {
		t.Helper()
		tmpl, _ := view["postback_url_template"].(string)
		if !strings.HasSuffix(tmpl, "&token={token}") {
			t.Errorf("template after creation = %q, want the {token} placeholder", tmpl)
		}
		if _, ok := view["token"]; ok {
			t.Errorf("the token is shown again: %v", view)
		}
		listed, _ := view["tokens"].([]any)
		if len(listed) != len(tokens) {
			t.Fatalf("tokens listed %v, want %d", listed, len(tokens))
		}
		for i, tok := range tokens {
			m, _ := listed[i].(map[string]any)["masked"].(string)
			prefix, ok := strings.CutSuffix(m, "…")
			if !ok || prefix == "" || !strings.HasPrefix(tok, prefix) || len(prefix) > len(tok)/6 {
				t.Errorf("token %d masked as %q: want a short prefix of it and …", i, m)
			}
		}
		if raw := tokensJSON(view); strings.Contains(raw, strings.TrimPrefix(tokens[0], "it_")[:12]) {
			t.Errorf("the view holds the token: %s", raw)
		}
	}
	_, view := h.admin("GET", "/integrations/net", "")
	shownMasked(view, token)
	code, rot := h.admin("POST", "/integrations/net/tokens", "")
	newToken, _ := rot["token"].(string)
	if code != http.StatusCreated || newToken == "" || newToken == token || rot["masked"] != newToken[:7]+"…" {
		t.Fatalf("rotate: %d %v", code, rot)
	}
	_, view = h.admin("GET", "/integrations/net", "")
	shownMasked(view, token, newToken)
	_, list := h.admin("GET", "/integrations", "")
	if raw := tokensJSON(list); strings.Contains(raw, token) || strings.Contains(raw, newToken) || strings.Contains(raw, h.token("pb")) {
		t.Fatal("the integration list shows a token")
	}
	for _, tok := range []string{token, newToken} {
		if code, b := h.do("GET", "/"+h.account.ID+"/collect/net?click_id=a&token="+tok, "", ""); code != http.StatusOK {
			t.Fatalf("postback with a token shown once: %d %v", code, b)
		}
	}
	// A token chosen by the caller, even short, gives little away.
	_, body = h.admin("POST", "/integrations", `{"slug":"short","preset":"custom","token":"tok123"}`)
	if body["token"] != "tok123" {
		t.Fatalf("a given token is shown in the creation's answer: %v", body)
	}
	_, view = h.admin("GET", "/integrations/short", "")
	if m := view["tokens"].([]any)[0].(map[string]any)["masked"]; m != "t…" {
		t.Fatalf("tok123 masked as %v, want t…", m)
	}
}
