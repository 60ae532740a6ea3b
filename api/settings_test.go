package api_test

import (
	"net/http"
	"testing"
)

func TestAccountSettings(t *testing.T) {
	h := newHarness(t)
	code, out := h.admin("GET", "/settings", "")
	if code != http.StatusOK || out["currency"] != "EUR" || out["timezone"] != "UTC" || out["default_phone_region"] != "" {
		t.Fatalf("get settings: %d %v", code, out)
	}
	for _, body := range []string{
		`{"currency":"XXY"}`, `{"currency":"dollars"}`, `{"currency":""}`,
		`{"timezone":"Mars/Olympus"}`, `{"timezone":""}`, `{"timezone":"Local"}`,
		`{"default_phone_region":"USA"}`, `{"default_phone_region":"ZZ"}`, `{"default_phone_region":"1"}`,
	} {
		if code, out := h.admin("PUT", "/settings", body); code != http.StatusUnprocessableEntity {
			t.Errorf("PUT %s: %d %v, want 422", body, code, out)
		}
	}
	code, out = h.admin("PUT", "/settings", `{"currency":"gbp","timezone":"America/New_York","default_phone_region":"fr"}`)
	if code != http.StatusOK || out["currency"] != "GBP" || out["timezone"] != "America/New_York" || out["default_phone_region"] != "FR" {
		t.Fatalf("put settings: %d %v", code, out)
	}
	// A field left out keeps its value.
	code, out = h.admin("PUT", "/settings", `{"timezone":"Asia/Tokyo"}`)
	if code != http.StatusOK || out["currency"] != "GBP" || out["timezone"] != "Asia/Tokyo" || out["default_phone_region"] != "FR" {
		t.Fatalf("partial put: %d %v", code, out)
	}
	if code, out = h.admin("GET", "/settings", ""); out["timezone"] != "Asia/Tokyo" {
		t.Fatalf("settings not kept: %d %v", code, out)
	}
	// Another account's key cannot read or change them.
	_, otherKey := h.otherAccount("UTC")
	if code, _ := h.do("PUT", "/v1/accounts/"+h.account.ID+"/settings", "application/json", `{"currency":"USD"}`,
		"Authorization", "Bearer "+otherKey); code != http.StatusForbidden {
		t.Errorf("other account's key: %d, want 403", code)
	}
}
