package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/convrelay/convrelay/internal/store"
)

func TestIntegrationsAPI(t *testing.T) {
	h := newHarness(t)
	code, body := h.admin("POST", "/integrations", `{"slug":"impact-main","preset":"impact","token":"tok123"}`)
	if code != http.StatusCreated {
		t.Fatalf("create = %d %v", code, body)
	}
	tmpl, _ := body["postback_url_template"].(string)
	if !strings.HasPrefix(tmpl, "https://track.example.com/"+h.account.ID+"/collect/impact-main?") || !strings.Contains(tmpl, "token=tok123") {
		t.Fatalf("postback_url_template = %q", tmpl)
	}
	if body["token"] != "tok123" {
		t.Fatalf("the creation's answer shows the token once: %v", body)
	}
	if _, again := h.admin("GET", "/integrations/impact-main", ""); again["token"] != nil || strings.Contains(tokensJSON(again), "tok123") {
		t.Fatalf("the token is shown again after its creation: %v", again)
	}
	if code, body := h.admin("POST", "/integrations", `{"slug":"impact-main","preset":"impact"}`); code != http.StatusConflict {
		t.Fatalf("duplicate slug = %d %v, want 409", code, body)
	}
	if code, _ := h.admin("POST", "/integrations", `{"slug":"x","preset":"nope"}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("unknown preset = %d, want 422", code)
	}
	if code, _ := h.admin("POST", "/integrations", `{"slug":"Bad Slug","preset":"custom"}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("bad slug = %d, want 422", code)
	}
	if code, _ := h.admin("POST", "/integrations", `{"slug":"y","preset":"custom","allowed_cidrs":["not-a-cidr"]}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("bad cidr = %d, want 422", code)
	}
	code, body = h.admin("GET", "/integrations", "")
	if code != http.StatusOK || len(body["integrations"].([]any)) != 2 { // pb (built in) and impact-main
		t.Fatalf("list = %d %v", code, body)
	}
	if code, _ := h.admin("DELETE", "/integrations/impact-main", ""); code != http.StatusNoContent {
		t.Fatalf("delete = %d", code)
	}
	if code, _ := h.do("GET", "/"+h.account.ID+"/collect/impact-main?SubId1=a&token=tok123", "", ""); code != http.StatusNotFound {
		t.Fatalf("postback to a deleted integration = %d, want 404", code)
	}
}

func TestAdminKeysAreScopedToTheirAccount(t *testing.T) {
	h := newHarness(t)
	other, otherKey, err := h.st.CreateAccount(context.Background(), store.Account{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := h.do("GET", "/v1/accounts/"+h.account.ID+"/conversions", "", "", "Authorization", "Bearer "+otherKey); code != http.StatusForbidden {
		t.Fatalf("another account's key = %d, want 403", code)
	}
	if code, _ := h.do("GET", "/v1/accounts/"+other.ID+"/integrations", "", "", "Authorization", "Bearer "+otherKey); code != http.StatusOK {
		t.Fatalf("its own account = %d, want 200", code)
	}
	if code, _ := h.do("GET", "/v1/accounts/"+h.account.ID+"/conversions", "", "", "Authorization", "Bearer cr_wrong"); code != http.StatusUnauthorized {
		t.Fatalf("unknown key = %d, want 401", code)
	}
	if code, _ := h.do("GET", "/v1/accounts/"+h.account.ID+"/conversions", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("no key = %d, want 401", code)
	}
	if code, _ := h.do("GET", "/v1/accounts/someone-else/conversions", "", "", "Authorization", "Bearer "+h.key); code != http.StatusForbidden {
		t.Fatalf("own key on another account = %d, want 403", code)
	}
}

func TestPostbackTestEndpointRecordsNothing(t *testing.T) {
	h := newHarness(t)
	code, body := h.admin("POST", "/postbacks/test", `{"preset":"galapartners","body":"{\"affcustomid\":\"QfdSVG\",\"totalcommission\":\"1.02\",\"currencysymbol\":\"GBP\"}","content_type":"application/json"}`)
	if code != http.StatusOK || body["decision"] != "accepted" || body["event_name"] != "Purchase" {
		t.Fatalf("test = %d %v", code, body)
	}
	canonical := body["canonical"].(map[string]any)
	if canonical["click_id"] != "QfdSVG" || canonical["value"] != "1.02" || canonical["currency"] != "GBP" {
		t.Fatalf("canonical = %v", canonical)
	}
	code, body = h.admin("POST", "/postbacks/test", `{"preset":"custom","query":"commission=5"}`)
	if code != http.StatusOK || body["decision"] != "rejected" || body["error"] != "Missing click_id, ref_id and email" || body["http_status"] != float64(422) {
		t.Fatalf("rejected test = %d %v", code, body)
	}
	if rows := h.log(); len(rows) != 0 {
		t.Fatalf("the test endpoint recorded %d log rows, want none", len(rows))
	}
}

func TestPostbackLogListing(t *testing.T) {
	h := newHarness(t)
	h.integration("net", "custom", "")
	for i := 0; i < 3; i++ {
		h.do("GET", "/"+h.account.ID+"/collect/net?click_id=a&transaction_id=L1&commission=1", "", "")
	}
	h.do("GET", "/"+h.account.ID+"/collect/net?commission=1", "", "")
	code, body := h.admin("GET", "/postbacks?outcome=rejected", "")
	if code != http.StatusOK || len(body["postbacks"].([]any)) != 1 {
		t.Fatalf("rejected = %d %v", code, body)
	}
	row := body["postbacks"].([]any)[0].(map[string]any)
	if row["error"] != "Missing click_id, ref_id and email" || row["raw_query"] != "commission=1" || row["method"] != "GET" {
		t.Fatalf("rejected row = %v", row)
	}
	code, body = h.admin("GET", "/postbacks?transaction_id=L1&limit=2", "")
	page := body["postbacks"].([]any)
	if code != http.StatusOK || len(page) != 2 || body["next_cursor"] == nil {
		t.Fatalf("first page = %d %v", code, body)
	}
	_, body = h.admin("GET", "/postbacks?transaction_id=L1&limit=2&cursor="+body["next_cursor"].(string), "")
	if len(body["postbacks"].([]any)) != 1 {
		t.Fatalf("second page = %v", body)
	}
	if code, _ := h.admin("GET", "/postbacks?limit=0", ""); code != http.StatusBadRequest {
		t.Fatalf("limit=0 = %d, want 400", code)
	}
}
