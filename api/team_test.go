package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/store"
)

// personalConversion records a conversion of campaign (0: none) whose postback
// carries an email, a phone, a name, an IP and a user agent.
func (h *harness) personalConversion(tx string, campaign int64) int64 {
	h.t.Helper()
	ctx := context.Background()
	canonical := `{"transaction_id":"` + tx + `","email":"john.doe@example.com","ip":"203.0.113.7","user_agent":"Mozilla/5.0",` +
		`"traits":{"email":"john.doe@example.com","phone":"+33612345678","first_name":"John"}}`
	e := &store.LogEntry{AccountID: h.account.ID, Integration: "pb", Method: "GET", Path: "/pb", ReceivedAt: time.Now(),
		RawQuery: "transaction_id=" + tx + "&email=john.doe%40example.com&phone=%2B33612345678&commission=5", SourceIP: "198.51.100.9",
		Canonical: []byte(canonical), TransactionID: tx, WorkflowID: "conv/" + h.account.ID + "/" + tx, Outcome: "accepted"}
	if err := h.st.InsertLog(ctx, e); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.st.Record(ctx, store.RecordParams{PostbackID: e.ID, AccountID: h.account.ID, TxKey: tx, TransactionID: tx,
		Integration: "pb", EventName: "Purchase", Currency: "EUR", ConvertedAt: time.Now(), Postback: json.RawMessage(canonical),
		Decision: conv.Decision{Apply: true, To: conv.StatusApproved, Value: decimal.RequireFromString("5")}}); err != nil {
		h.t.Fatal(err)
	}
	var id int64
	if err := h.st.Pool.QueryRow(ctx, `UPDATE conversions SET campaign_id = nullif($3, 0) WHERE account_id = $1 AND transaction_id = $2 RETURNING id`,
		h.account.ID, tx, campaign).Scan(&id); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) keyOf(role string, campaigns ...int64) string {
	h.t.Helper()
	_, key, err := h.st.CreateScopedAPIKey(context.Background(), store.APIKey{AccountID: h.account.ID, Label: role, Role: role, Campaigns: campaigns})
	if err != nil {
		h.t.Fatal(err)
	}
	return key
}

func (h *harness) as(key, method, path string) (int, string) {
	h.t.Helper()
	return statusOf(h.t.(*testing.T), h, method, "/v1/accounts/"+h.account.ID+path, "", key)
}

// A buyer scoped to one campaign sees that campaign's conversions with personal
// data masked, gets 403 for another campaign's conversion and for the raw
// postback export; a read-only key sees the log masked; an owner sees it all.
func TestPersonalDataMaskedByRoleAndBuyerScope(t *testing.T) {
	h := newHarness(t)
	a := h.createCampaign(`{"name":"a","offer_url":"https://offer.example/?c={click_id}"}`)
	b := h.createCampaign(`{"name":"b","offer_url":"https://offer.example/?c={click_id}"}`)
	inA := h.personalConversion("TX-A", a)
	inB := h.personalConversion("TX-B", b)
	buyer := h.keyOf("buyer", a)
	owner := h.keyOf("owner")
	read := h.keyOf("read")

	code, body := h.as(buyer, "GET", "/conversions/"+strconv.FormatInt(inA, 10))
	if code != http.StatusOK {
		t.Fatalf("buyer reads its campaign's conversion: %d %s", code, body)
	}
	for _, raw := range []string{"john.doe@example.com", "+33612345678", "203.0.113.7", "Mozilla/5.0", `"John"`} {
		if strings.Contains(body, raw) {
			t.Errorf("buyer's conversion shows %s unmasked: %s", raw, body)
		}
	}
	if !strings.Contains(body, "j***@example.com") {
		t.Errorf("buyer's conversion has no masked email: %s", body)
	}
	if code, body := h.as(buyer, "GET", "/conversions/"+strconv.FormatInt(inB, 10)); code != http.StatusForbidden {
		t.Errorf("buyer reads another campaign's conversion: %d %s, want 403", code, body)
	}
	if code, body := h.as(buyer, "GET", "/conversions"); code != http.StatusOK || strings.Contains(body, "TX-B") || !strings.Contains(body, "TX-A") {
		t.Errorf("buyer's conversion list: %d %s, want TX-A only", code, body)
	}
	if code, body := h.as(buyer, "GET", "/postbacks/export"); code != http.StatusForbidden {
		t.Errorf("buyer's raw postback export: %d %s, want 403", code, body)
	}
	if code, body := h.as(buyer, "GET", "/conversions/export"); code != http.StatusOK || strings.Contains(body, "TX-B") {
		t.Errorf("buyer's conversions export: %d %s, want its campaign only", code, body)
	}

	// The pre-roles read-only key reads the log, masked, and may not export it raw.
	code, body = h.as(read, "GET", "/postbacks")
	if code != http.StatusOK || strings.Contains(body, "john.doe") || strings.Contains(body, "33612345678") || strings.Contains(body, "198.51.100.9") {
		t.Errorf("read key's postback log: %d, want personal data masked: %s", code, body)
	}
	if code, _ := h.as(read, "GET", "/postbacks/export"); code != http.StatusForbidden {
		t.Errorf("read key's raw postback export: %d, want 403", code)
	}

	// Owners and admins see it all, in answers and exports.
	if code, body := h.as(owner, "GET", "/conversions/"+strconv.FormatInt(inB, 10)); code != http.StatusOK || !strings.Contains(body, "john.doe@example.com") {
		t.Errorf("owner's conversion: %d, want the email: %s", code, body)
	}
	if code, body := h.as(owner, "GET", "/postbacks/export"); code != http.StatusOK || !strings.Contains(body, "john.doe%40example.com") {
		t.Errorf("owner's raw postback export: %d %s", code, body)
	}
}

// A destination change is in the audit log with who made it and its before and
// after, its credentials masked.
func TestAuditRecordsADestinationChangeWithSecretsMasked(t *testing.T) {
	h := newHarness(t)
	id := h.destination(`{"type":"meta","name":"pixel","config":{"pixel_id":"1","access_token":"EAABsecretONE"}}`)
	code, out := h.admin("PUT", "/destinations/"+id, `{"type":"meta","name":"pixel 2","config":{"pixel_id":"1","access_token":"EAABsecretTWO"}}`)
	if code != http.StatusOK {
		t.Fatalf("update destination: %d %v", code, out)
	}
	code, body := h.as(h.key, "GET", "/audit?action=destination.&target=destination:"+id)
	if code != http.StatusOK {
		t.Fatalf("audit: %d %s", code, body)
	}
	var got struct {
		Entries []struct {
			Actor, Role, Action, Target string
			Before, After               map[string]any
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Entries) != 2 || got.Entries[0].Action != "destination.update" || got.Entries[1].Action != "destination.create" {
		t.Fatalf("audit entries: %s, want update then create", body)
	}
	upd := got.Entries[0]
	if !strings.HasPrefix(upd.Actor, "key:") || upd.Role != "admin" || upd.Before["name"] != "pixel" || upd.After["name"] != "pixel 2" {
		t.Errorf("update entry: %+v", upd)
	}
	if strings.Contains(body, "EAABsecret") {
		t.Errorf("the audit log shows a destination's access token: %s", body)
	}
	if code, _ := h.as(h.keyOf("buyer"), "GET", "/audit"); code != http.StatusForbidden {
		t.Errorf("buyer reads the audit log: %d, want 403", code)
	}
}

// A key can belong to a person; revoking the person ends the key at once.
func TestRevokedUsersKeyRefused(t *testing.T) {
	h := newHarness(t)
	owner := h.keyOf("owner")
	code, body := statusOf(t, h, "POST", "/v1/accounts/"+h.account.ID+"/users", `{"email":"ann@example.com","role":"admin"}`, owner)
	if code != http.StatusCreated {
		t.Fatalf("invite: %d %s", code, body)
	}
	var u struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &u); err != nil {
		t.Fatal(err)
	}
	code, body = statusOf(t, h, "POST", "/v1/accounts/"+h.account.ID+"/keys", `{"label":"ann's","role":"admin","user_id":`+strconv.FormatInt(u.ID, 10)+`}`, owner)
	var k struct {
		Key string `json:"key"`
	}
	if code != http.StatusCreated || json.Unmarshal([]byte(body), &k) != nil || k.Key == "" {
		t.Fatalf("key for a user: %d %s", code, body)
	}
	if code, body := h.as(k.Key, "GET", "/settings"); code != http.StatusOK {
		t.Fatalf("the user's key: %d %s", code, body)
	}
	if code, body := h.as(owner, "DELETE", "/users/"+strconv.FormatInt(u.ID, 10)); code != http.StatusNoContent {
		t.Fatalf("revoke user: %d %s", code, body)
	}
	if code, _ := h.as(k.Key, "GET", "/settings"); code != http.StatusUnauthorized {
		t.Errorf("a revoked user's key: %d, want 401", code)
	}
	if code, body := h.as(owner, "GET", "/audit?action=user."); code != http.StatusOK || !strings.Contains(body, "user.revoke") || !strings.Contains(body, "user.invite") {
		t.Errorf("audit of the user's invitation and revocation: %d %s", code, body)
	}
}
