package destinations

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// fakeGoogleToken is Google's token endpoint: it checks the refresh grant
// field by field and hands out at-1, at-2, ... valid for expiresIn seconds.
type fakeGoogleToken struct {
	*httptest.Server
	mu        sync.Mutex
	issued    int
	expiresIn int
	fail      int    // answer this status instead, when set
	failBody  string // with this body
	bad       []string
}

func newFakeGoogleToken(t *testing.T) *fakeGoogleToken {
	t.Helper()
	f := &fakeGoogleToken{expiresIn: 3600}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		want := map[string]string{"grant_type": "refresh_token", "refresh_token": "1//refresh-xyz",
			"client_id": "cid.apps.googleusercontent.com", "client_secret": "csecret"}
		for k, v := range want {
			if form.Get(k) != v {
				f.bad = append(f.bad, fmt.Sprintf("%s=%q, want %q", k, form.Get(k), v))
			}
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			f.bad = append(f.bad, "not a form POST: "+r.Method+" "+r.Header.Get("Content-Type"))
		}
		w.Header().Set("Content-Type", "application/json")
		if f.fail != 0 {
			w.WriteHeader(f.fail)
			io.WriteString(w, f.failBody)
			return
		}
		f.issued++
		fmt.Fprintf(w, `{"access_token":"at-%d","expires_in":%d,"token_type":"Bearer","scope":"https://www.googleapis.com/auth/adwords"}`,
			f.issued, f.expiresIn)
	}))
	t.Cleanup(func() {
		f.Close()
		for _, b := range f.bad {
			t.Errorf("token request: %s", b)
		}
	})
	return f
}

func (f *fakeGoogleToken) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued
}

// fakeGoogleAds accepts requests carrying one of the tokens in valid and
// answers 401 UNAUTHENTICATED to any other.
func fakeGoogleAds(t *testing.T, valid func(token string) bool) *fakePlatform {
	f := newFake(t, 200, `{"results":[{}]}`)
	f.handler = func(w http.ResponseWriter, r *http.Request) {
		if !valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`)
			return
		}
		io.WriteString(w, `{"results":[{}]}`)
	}
	return f
}

var googleDestIDs struct {
	sync.Mutex
	next int64
}

// oauthGoogleDest has its own id so the process-wide token cache never
// carries a token from one test into another.
func oauthGoogleDest(ads, token string) Destination {
	googleDestIDs.Lock()
	googleDestIDs.next++
	id := 1000 + googleDestIDs.next
	googleDestIDs.Unlock()
	return Destination{ID: id, Type: TypeGoogleAds, Name: "gads", Endpoint: ads, Config: map[string]string{
		"customer_id": "123-456-7890", "conversion_action": "987654", "developer_token": "dev-token-xyz",
		"client_id": "cid.apps.googleusercontent.com", "client_secret": "csecret", "refresh_token": "1//refresh-xyz",
		"token_url": token + "/token", "login_customer_id": "111-222-3333",
	}}
}

func deliver(t *testing.T, d Destination, c Conversion) (Result, *DeliveryError) {
	t.Helper()
	res, err := testSender().Deliver(context.Background(), d, c)
	if err == nil {
		return res, nil
	}
	var de *DeliveryError
	if !errors.As(err, &de) {
		t.Fatalf("Deliver error %T %v is not a *DeliveryError", err, err)
	}
	return res, de
}

func authHeaders(f *fakePlatform) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.reqs {
		out = append(out, r.Header.Get("Authorization"))
	}
	return out
}

func TestGoogleAdsOAuthTokenCachedThenRefreshedAfter401(t *testing.T) {
	tok := newFakeGoogleToken(t)
	var mu sync.Mutex
	accepted := map[string]bool{"at-1": true}
	ads := fakeGoogleAds(t, func(s string) bool { mu.Lock(); defer mu.Unlock(); return accepted[s] })
	d := oauthGoogleDest(ads.URL, tok.URL)

	for i := 0; i < 2; i++ {
		if _, de := deliver(t, d, sampleConversion()); de != nil {
			t.Fatalf("delivery %d: %v", i, de)
		}
	}
	if tok.count() != 1 {
		t.Errorf("token refreshed %d times for two deliveries; the token must be cached", tok.count())
	}

	// Google stops accepting at-1 (revoked before its expiry): one refresh,
	// one retry with the new token.
	mu.Lock()
	accepted = map[string]bool{"at-2": true}
	mu.Unlock()
	if _, de := deliver(t, d, sampleConversion()); de != nil {
		t.Fatalf("delivery after 401: %v", de)
	}
	if tok.count() != 2 {
		t.Errorf("token refreshed %d times, want 2", tok.count())
	}
	want := []string{"Bearer at-1", "Bearer at-1", "Bearer at-1", "Bearer at-2"}
	if got := authHeaders(ads); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Authorization headers %v, want %v", got, want)
	}

	// Refused again even with a fresh token (wrong scope, developer token
	// not approved): one refresh, one retry, then a permanent failure.
	mu.Lock()
	accepted = map[string]bool{}
	mu.Unlock()
	_, de := deliver(t, d, sampleConversion())
	if de == nil || de.Retryable || de.StatusCode != 401 || !strings.Contains(de.Error(), "UNAUTHENTICATED") {
		t.Fatalf("want a permanent 401, got %v", de)
	}
	if tok.count() != 3 || ads.count() != 6 {
		t.Errorf("after a second 401: %d refreshes, %d API requests; want 3 and 6", tok.count(), ads.count())
	}
}

func TestGoogleAdsOAuthExpiredTokenIsRefreshed(t *testing.T) {
	tok := newFakeGoogleToken(t)
	tok.expiresIn = 5 // inside oauth2's expiry margin: stale as soon as issued
	ads := fakeGoogleAds(t, func(s string) bool { return strings.HasPrefix(s, "at-") })
	d := oauthGoogleDest(ads.URL, tok.URL)
	for i := 0; i < 3; i++ {
		if _, de := deliver(t, d, sampleConversion()); de != nil {
			t.Fatal(de)
		}
	}
	if tok.count() != 3 {
		t.Errorf("%d refreshes for 3 deliveries with expiring tokens, want 3", tok.count())
	}
	if got := authHeaders(ads); strings.Join(got, ",") != "Bearer at-1,Bearer at-2,Bearer at-3" {
		t.Errorf("Authorization headers %v", got)
	}
}

func TestGoogleAdsOAuthRefreshFailures(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		retryable bool
		text      string
	}{
		{"revoked refresh token", 400, `{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`,
			false, "invalid_grant (Token has been expired or revoked.)"},
		{"wrong client", 401, `{"error":"invalid_client","error_description":"Unauthorized"}`, false, "invalid_client"},
		{"token endpoint down", 503, `{"error":"backendError"}`, true, "OAuth token refresh failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := newFakeGoogleToken(t)
			tok.fail, tok.failBody = c.status, c.body
			ads := fakeGoogleAds(t, func(string) bool { return true })
			_, de := deliver(t, oauthGoogleDest(ads.URL, tok.URL), sampleConversion())
			if de == nil || de.Retryable != c.retryable || !strings.Contains(de.Error(), c.text) {
				t.Fatalf("got %v (retryable %v), want retryable=%v containing %q", de, de != nil && de.Retryable, c.retryable, c.text)
			}
			if strings.Contains(de.Error(), "csecret") || strings.Contains(de.Error(), "refresh-xyz") {
				t.Errorf("credentials in the error: %v", de)
			}
			if ads.count() != 0 {
				t.Error("the API was called without a token")
			}
		})
	}
}

// Adjustments: a value change is a RESTATEMENT with the new value, a
// rejection a RETRACTION, both keyed by the order id of the upload.
func TestGoogleAdsAdjustments(t *testing.T) {
	tok := newFakeGoogleToken(t)
	ads := fakeGoogleAds(t, func(s string) bool { return s == "at-1" })
	d := oauthGoogleDest(ads.URL, tok.URL)

	up := sampleConversion()
	up.OrderID = "order-key-1"
	up.Value = decimal.RequireFromString("25")
	if _, de := deliver(t, d, up); de != nil {
		t.Fatal(de)
	}
	restate := up
	restate.Kind, restate.EventID = KindRestatement, "restate-key"
	restate.Value = decimal.RequireFromString("30.00")
	restate.ChangedAt = testNow.Add(-30 * time.Minute)
	if _, de := deliver(t, d, restate); de != nil {
		t.Fatal(de)
	}
	retract := up
	retract.Kind, retract.EventID, retract.Status = KindRetraction, "retract-key", "rejected"
	if _, de := deliver(t, d, retract); de != nil {
		t.Fatal(de)
	}
	ads.mu.Lock()
	reqs := append([]captured(nil), ads.reqs...)
	ads.mu.Unlock()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	wantOrder := path(t, decode(t, reqs[0].Body), "conversions", 0, "orderId")
	wantString(t, wantOrder, "order-key-1")

	for i, want := range []struct {
		typ, at string
		value   string
	}{
		{"RESTATEMENT", "2026-11-20 11:30:00+00:00", "30"},
		{"RETRACTION", "2026-11-20 12:00:00+00:00", ""},
	} {
		r := reqs[i+1]
		if r.Method != http.MethodPost || r.Path != "/"+DefaultGoogleAdsVersion+"/customers/1234567890:uploadConversionAdjustments" {
			t.Errorf("%s: %s %s", want.typ, r.Method, r.Path)
		}
		if r.Header.Get("developer-token") != "dev-token-xyz" || r.Header.Get("Authorization") != "Bearer at-1" ||
			r.Header.Get("login-customer-id") != "1112223333" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: headers %v", want.typ, r.Header)
		}
		body := decode(t, r.Body)
		if body["partialFailure"] != true || len(body) != 2 {
			t.Errorf("%s: body %v", want.typ, body)
		}
		adj := path(t, body, "conversionAdjustments", 0).(map[string]any)
		wantString(t, adj["conversionAction"], "customers/1234567890/conversionActions/987654")
		wantString(t, adj["adjustmentType"], want.typ)
		wantString(t, adj["adjustmentDateTime"], want.at)
		wantString(t, adj["orderId"], "order-key-1")
		fields := 4
		if want.value != "" {
			fields++
			rv := adj["restatementValue"].(map[string]any)
			wantNumber(t, rv["adjustedValue"], want.value)
			wantString(t, rv["currencyCode"], "USD")
			if len(rv) != 2 {
				t.Errorf("restatementValue %v", rv)
			}
		}
		if len(adj) != fields {
			t.Errorf("%s: adjustment has fields %v, want exactly %d (no click ids, no user data)", want.typ, adj, fields)
		}
	}
}

func TestGoogleAdsAdjustmentAnswers(t *testing.T) {
	failure := func(code string) string {
		return `{"partialFailureError":{"code":3,"message":"adjustment failed","details":[{"@type":"type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",` +
			`"errors":[{"errorCode":{"conversionAdjustmentUploadError":"` + code + `"},"message":"` + code + `"}]}]},"results":[{}]}`
	}
	cases := []struct {
		code      string
		ok        bool
		retryable bool
	}{
		{"CONVERSION_ALREADY_RETRACTED", true, false},
		{"RESTATEMENT_ALREADY_EXISTS", true, false},
		{"TOO_RECENT_CONVERSION", false, true},
		{"CONVERSION_NOT_FOUND", false, true},
		{"CONVERSION_EXPIRED", false, false},
	}
	for _, c := range cases {
		f := newFake(t, 200, failure(c.code))
		conv := sampleConversion()
		conv.Kind = KindRetraction
		_, de := send(t, googleDest(f.URL), conv)
		switch {
		case c.ok && de != nil:
			t.Errorf("%s: %v; the adjustment is already applied", c.code, de)
		case !c.ok && (de == nil || de.Retryable != c.retryable):
			t.Errorf("%s: got %v, want retryable=%v", c.code, de, c.retryable)
		case c.retryable && de.RetryAfter != googleAdjustmentWait:
			t.Errorf("%s: retry after %v", c.code, de.RetryAfter)
		}
	}
}

// Exactly one of gclid, gbraid, wbraid; no user identifiers with gbraid or
// wbraid; user identifiers alone (enhanced conversions for leads) allowed.
func TestGoogleAdsClickIdentifierRules(t *testing.T) {
	cases := []struct {
		name                  string
		gclid, gbraid, wbraid string
		wantKey, wantVal      string
		wantIDs               int
	}{
		{"gclid wins over braids, keeps identifiers", "g1", "gb1", "wb1", "gclid", "g1", 2},
		{"gbraid drops identifiers and wbraid", "", "gb1", "wb1", "gbraid", "gb1", 0},
		{"wbraid drops identifiers", "", "", "wb1", "wbraid", "wb1", 0},
		{"no click id: identifiers only", "", "", "", "", "", 2},
	}
	for _, c := range cases {
		f := newFake(t, 200, `{}`)
		conv := sampleConversion()
		conv.User.GCLID, conv.User.GBRAID, conv.User.WBRAID = c.gclid, c.gbraid, c.wbraid
		if _, de := send(t, googleDest(f.URL), conv); de != nil {
			t.Fatalf("%s: %v", c.name, de)
		}
		cv := path(t, decode(t, f.only(t).Body), "conversions", 0).(map[string]any)
		n := 0
		for _, k := range []string{"gclid", "gbraid", "wbraid"} {
			if v, ok := cv[k]; ok {
				n++
				if k != c.wantKey || v != c.wantVal {
					t.Errorf("%s: %s=%v sent", c.name, k, v)
				}
			}
		}
		if want := map[bool]int{true: 1, false: 0}[c.wantKey != ""]; n != want {
			t.Errorf("%s: %d click identifiers sent, want %d", c.name, n, want)
		}
		ids, _ := cv["userIdentifiers"].([]any)
		if len(ids) != c.wantIDs {
			t.Errorf("%s: %d user identifiers, want %d", c.name, len(ids), c.wantIDs)
		}
	}
}
