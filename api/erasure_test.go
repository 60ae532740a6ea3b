package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// After an erasure by email no table holds the email in any form: every text
// and JSON column of every table is searched for it as sent, in another case,
// URL-encoded and SHA-256 hashed.
func TestErasureLeavesNoTraceOfTheEmail(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	const email = "Jane.Doe+promo@Example.com"
	h.integration("net", "custom", "")
	code, body := h.admin("POST", "/clicks", `{"email":"`+email+`","ip":"203.0.113.9","user_agent":"UA","subs":{"sub1":"`+email+`"}}`)
	if code != http.StatusCreated {
		t.Fatalf("click: %d %v", code, body)
	}
	clickID := body["click_id"].(string)
	base := "/" + h.account.ID + "/collect/net"
	if code, b := h.do("GET", base+"?click_id="+clickID+"&transaction_id=T1&email="+url.QueryEscape(email), "", ""); code != http.StatusOK {
		t.Fatalf("query postback: %d %v", code, b)
	}
	if code, b := h.do("POST", base, "application/json", `{"email":"`+email+`","transaction_id":"T2","commission":"3"}`); code != http.StatusOK {
		t.Fatalf("JSON postback: %d %v", code, b)
	}
	if code, b := h.do("POST", base, "application/x-www-form-urlencoded", "ref_id=r9&transaction_id=T3&xat_note="+url.QueryEscape(strings.ToLower(email))); code != http.StatusOK {
		t.Fatalf("form postback: %d %v", code, b)
	}
	// A conversion with its stored postback and a delivery, as the worker records them.
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	hashed := hex.EncodeToString(sum[:])
	if _, err := h.st.Pool.Exec(ctx, `INSERT INTO conversions (account_id, tx_key, transaction_id, status, currency, event_name, click_id, postback, converted_at)
		VALUES ($1, $2, 'T1', 'approved', 'EUR', 'Lead', $4, $3, now())`, h.account.ID, "email:"+email+":Lead",
		map[string]any{"email": email, "transaction_id": "T1", "traits": map[string]string{"email": email}, "status": "approved"}, clickID); err != nil {
		t.Fatal(err)
	}
	d, err := h.st.CreateDestination(ctx, store.Destination{AccountID: h.account.ID, Type: "webhook", Name: "w",
		Config: map[string]string{"url": "https://hooks.example.com/x", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.Pool.Exec(ctx, `INSERT INTO deliveries (account_id, conversion_id, destination_id, event_key, status, last_error)
		SELECT $1, id, $2, 'k1', 'failed', $3 FROM conversions WHERE transaction_id = 'T1'`, h.account.ID, d.ID, "meta: user "+hashed+" rejected"); err != nil {
		t.Fatal(err)
	}
	// Another account's identical data must survive.
	other, _, err := h.st.CreateAccount(ctx, store.Account{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.InsertClick(ctx, store.Click{ID: "clk-other", AccountID: other.ID, Email: email}); err != nil {
		t.Fatal(err)
	}

	forms := []string{email, strings.ToLower(email), url.QueryEscape(email), url.QueryEscape(strings.ToLower(email)), hashed, clickID}
	if n := len(pgtest.ColumnsHolding(t, h.st.Pool, h.account.ID, forms)); n == 0 {
		t.Fatal("setup: the email is nowhere before the erasure")
	}
	code, body = h.admin("POST", "/erasure", `{"email":"`+strings.ToUpper(email)+`"}`)
	if code != http.StatusOK {
		t.Fatalf("erasure: %d %v", code, body)
	}
	rows := body["rows"].(map[string]any)
	if rows["clicks"] != float64(1) || rows["postback_log"].(float64) < 3 || rows["conversions"] != float64(1) || rows["deliveries"] != float64(1) {
		t.Fatalf("erasure counts %v", rows)
	}
	if n := len(pgtest.ColumnsHolding(t, h.st.Pool, h.account.ID, forms)); n != 0 {
		t.Fatalf("%d columns still hold the email in some form", n)
	}
	if n := len(pgtest.ColumnsHolding(t, h.st.Pool, other.ID, []string{email})); n == 0 {
		t.Fatal("the erasure reached another account")
	}
	if code, _ := h.admin("POST", "/erasure", `{"email":"a@b.c","click_id":"x"}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("two identifiers = %d, want 422", code)
	}
}
