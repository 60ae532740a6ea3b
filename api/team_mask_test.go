package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// Report rows and exports mask personal data for roles without the right: a
// sub carrying an email, grouped by, shows j***@example.com to a buyer and a
// viewer, in the JSON report and its CSV; the buyer's conversions export has
// no email, phone, IP or user agent; the owner sees the value.
func TestReportRowsAndExportsMaskedByRole(t *testing.T) {
	h := newHarness(t)
	a := h.createCampaign(`{"name":"a","offer_url":"https://offer.example/?c={click_id}"}`)
	h.personalConversion("TX-A", a)
	if _, err := h.st.Pool.Exec(context.Background(), `UPDATE conversions SET subs = '{"sub2":"john.doe@example.com"}' WHERE account_id = $1`, h.account.ID); err != nil {
		t.Fatal(err)
	}
	raw := []string{"john.doe@example.com", "john.doe%40example.com", "+33612345678", "33612345678", "203.0.113.7", "198.51.100.9", "Mozilla/5.0"}
	for _, who := range []struct {
		role string
		key  string
	}{{"buyer", h.keyOf("buyer", a)}, {"viewer", h.keyOf("viewer", a)}, {"viewer of all campaigns", h.keyOf("viewer")}} {
		for _, path := range []string{"/reports?group_by=sub2", "/reports?group_by=sub2&format=csv", "/reports?group_by=campaign,sub2&format=csv"} {
			code, body := h.as(who.key, "GET", path)
			if code != http.StatusOK {
				t.Fatalf("%s GET %s: %d %s", who.role, path, code, body)
			}
			if !strings.Contains(body, "j***@example.com") {
				t.Errorf("%s GET %s: no masked email in\n%s", who.role, path, body)
			}
			for _, r := range raw {
				if strings.Contains(body, r) {
					t.Errorf("%s GET %s shows %s:\n%s", who.role, path, r, body)
				}
			}
		}
	}
	buyer := h.keyOf("buyer", a)
	code, body := h.as(buyer, "GET", "/conversions/export")
	if code != http.StatusOK || !strings.Contains(body, "TX-A") {
		t.Fatalf("buyer's conversions export: %d %s", code, body)
	}
	for _, r := range raw {
		if strings.Contains(body, r) {
			t.Errorf("buyer's conversions export shows %s:\n%s", r, body)
		}
	}
	if code, body := h.as(h.keyOf("viewer", a), "GET", "/conversions/export"); code != http.StatusForbidden {
		t.Errorf("viewer's conversions export: %d %s, want 403", code, body)
	}
	owner := h.keyOf("owner")
	if code, body := h.as(owner, "GET", "/reports?group_by=sub2&format=csv"); code != http.StatusOK || !strings.Contains(body, "john.doe@example.com") {
		t.Errorf("owner's report: %d, want the value:\n%s", code, body)
	}
}
