package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/tagjs"
)

const tagOrigin = "https://shop.example"

// tagSetup allows tagOrigin and the given events on the harness account.
func (h *harness) tagSetup(events string) {
	h.t.Helper()
	code, body := h.admin("PUT", "/tag", `{"origins":["`+tagOrigin+`/"],"events":`+events+
		`,"offer_domains":[{"domain":"offers.example.net","param":"aff_sub"}]}`)
	if code != http.StatusOK {
		h.t.Fatalf("put tag settings: %d %v", code, body)
	}
	if o := body["origins"].([]any); len(o) != 1 || o[0] != tagOrigin {
		h.t.Fatalf("origins stored as %v, want [%s]", o, tagOrigin)
	}
}

// raw sends a request and returns the response with its body read.
func (h *harness) raw(method, path, origin, body string, header ...string) (*http.Response, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestTagCORS: the account's origin gets the preflight and the answers a
// browser expects; any other origin (or none) is refused without
// Access-Control-Allow-Origin, so a browser neither sends its POST nor shows
// the page an answer.
func TestTagCORS(t *testing.T) {
	h := newHarness(t)
	h.tagSetup(`["Purchase"]`)
	hit := "/" + h.account.ID + "/t/hit"

	resp, _ := h.raw("OPTIONS", hit, tagOrigin, "", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != tagOrigin ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.EqualFold(resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type") ||
		resp.Header.Get("Vary") != "Origin" {
		t.Fatalf("allowed preflight: %d %v", resp.StatusCode, resp.Header)
	}
	for _, origin := range []string{"https://evil.example", "http://shop.example", "https://shop.example.evil.example", ""} {
		for _, method := range []string{"OPTIONS", "POST"} {
			resp, body := h.raw(method, hit, origin, `{"url":"https://shop.example/"}`)
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" ||
				resp.Header.Get("Access-Control-Allow-Methods") != "" || resp.Header.Get("Vary") != "Origin" ||
				!strings.Contains(body, "origin not allowed") {
				t.Fatalf("%s from %q: %d %v %s", method, origin, resp.StatusCode, resp.Header, body)
			}
		}
	}
	resp, body := h.raw("POST", hit, tagOrigin, `{"url":"https://shop.example/lp?gclid=G1&sub1=s&fbclid=F1&p=lp1","ref":"https://ads.example/",`+
		`"fbp":"fb.1.1700000000000.111","ga":"GA1.1.123456789.1700000000","ttp":"ttp-abc","consent":"granted"}`)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != tagOrigin {
		t.Fatalf("allowed hit: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	var clickID string
	if i := strings.Index(body, `"hit":"`); i >= 0 {
		clickID = body[i+7 : i+7+strings.Index(body[i+7:], `"`)]
	}
	k, err := h.st.GetClick(context.Background(), h.account.ID, clickID)
	if err != nil {
		t.Fatalf("hit %q not stored: %v (%s)", clickID, err, body)
	}
	if k.GCLID != "G1" || k.FBCLID != "F1" || k.FBP != "fb.1.1700000000000.111" || !strings.HasSuffix(k.FBC, ".F1") ||
		k.Subs["sub1"] != "s" || k.PageID != "lp1" || k.VisitorID == "" {
		t.Fatalf("stored hit = %+v", k)
	}
	th, err := h.st.GetTagHit(context.Background(), h.account.ID, clickID)
	if err != nil || k.GAClientID != "123456789.1700000000" || k.TTP != "ttp-abc" || th.Consent != "granted" {
		t.Fatalf("click ga_client_id %q, ttp %q; tag hit = %+v, %v", k.GAClientID, k.TTP, th, err)
	}
	if !strings.Contains(body, `"landing":true`) || !strings.Contains(body, `"param":"aff_sub"`) {
		t.Fatalf("hit answer = %s", body)
	}
}

// TestTagScript: /t.js is served gzipped, versioned and cacheable.
func TestTagScript(t *testing.T) {
	h := newHarness(t)
	req, _ := http.NewRequest("GET", h.srv.URL+"/t.js?v="+tagjs.Version, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || len(b) != len(tagjs.Gzipped()) ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || resp.Header.Get("ETag") != `"`+tagjs.Version+`"` ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/javascript") {
		t.Fatalf("t.js: %d %v (%d bytes)", resp.StatusCode, resp.Header, len(b))
	}
	resp, _ = h.raw("GET", "/t.js", "", "", "If-None-Match", `"`+tagjs.Version+`"`)
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation: %d", resp.StatusCode)
	}
}

// TestTagBrowserCannotOverrideNetwork: a browser cannot approve a transaction
// a network reported rejected, move a pending one, or change an approved
// one's value; each refusal is answered 409 and kept in the postback log.
// Repeating an approved transaction as it stands is accepted (a duplicate),
// and an event the account does not let browsers send is refused.
func TestTagBrowserCannotOverrideNetwork(t *testing.T) {
	h := newHarness(t)
	h.tagSetup(`["Purchase","Lead"]`)
	ctx := context.Background()
	seed := func(tx, status, value string) {
		key := (&postback.Postback{TransactionID: tx}).TransactionKey()
		if _, err := h.st.Pool.Exec(ctx, `INSERT INTO conversions (account_id, tx_key, transaction_id, integration, status, value,
			currency, event_name, converted_at) VALUES ($1, $2, $3, 'network', $4, $5, 'USD', 'Purchase', now())`,
			h.account.ID, key, tx, status, value); err != nil {
			t.Fatal(err)
		}
	}
	seed("R1", "rejected", "10")
	seed("P1", "pending", "0.01")
	seed("A1", "approved", "10")
	conv := "/" + h.account.ID + "/t/conversion"
	post := func(body string) (int, string) {
		resp, b := h.raw("POST", conv, tagOrigin, body)
		return resp.StatusCode, b
	}
	for _, c := range []struct {
		body, want string
		code       int
	}{
		{`{"tx":"R1","rev":10,"event":"Purchase","vid":"v1"}`, "reported rejected", http.StatusConflict},
		{`{"tx":"P1","rev":10,"event":"Purchase","vid":"v2"}`, "cannot change its status", http.StatusConflict},
		{`{"tx":"A1","rev":20,"event":"Purchase","vid":"v3"}`, "cannot change it", http.StatusConflict},
		{`{"tx":"N1","rev":5,"event":"CompleteRegistration","vid":"v4"}`, "may not be sent from a browser", http.StatusForbidden},
		{`{"tx":"A1","rev":10,"event":"Purchase","vid":"v5"}`, `"status":"accepted"`, http.StatusOK},
		{`{"tx":"N2","rev":5,"event":"Purchase","vid":"v6","event_id":"ev-123"}`, `"event_id":"ev-123"`, http.StatusOK},
	} {
		code, body := post(c.body)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Fatalf("%s: %d %s, want %d with %q", c.body, code, body, c.code, c.want)
		}
	}
	logged := map[string]string{}
	for _, e := range h.log() {
		if e.Integration != intake.TagIntegration {
			t.Fatalf("log row of integration %q", e.Integration)
		}
		logged[e.TransactionID+"/"+e.Outcome] = e.Error
	}
	for _, k := range []string{"R1/rejected", "P1/rejected", "A1/rejected", "A1/accepted", "N2/accepted"} {
		if _, ok := logged[k]; !ok {
			t.Fatalf("log has no %s row: %v", k, logged)
		}
	}
	if !strings.Contains(logged["R1/rejected"], "reported rejected") {
		t.Fatalf("R1 logged with %q", logged["R1/rejected"])
	}
}
