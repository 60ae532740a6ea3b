package destinations

import (
	"context"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// dmDest is a google_ads destination on the Data Manager API: OAuth, no
// developer token, its own id so the token cache is not shared.
func dmDest(endpoint, tokenURL string) Destination {
	d := oauthGoogleDest(endpoint, tokenURL)
	delete(d.Config, "developer_token")
	d.Config["api"] = GoogleAPIDataManager
	return d
}

// fakeDataManager accepts requests carrying the token at-1 with Data Manager's
// success answer and refuses any other as Google does.
func fakeDataManager(t *testing.T) *fakePlatform {
	f := newFake(t, 200, `{"requestId":"req-1"}`)
	f.handler = func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at-1" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`)
			return
		}
		io.WriteString(w, `{"requestId":"req-1"}`)
	}
	return f
}

func (f *fakePlatform) all() []captured {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]captured(nil), f.reqs...)
}

// keys asserts that the JSON object v has exactly the keys want.
func keys(t *testing.T, what string, v any, want ...string) {
	t.Helper()
	obj, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: not an object: %#v", what, v)
		return
	}
	if len(obj) != len(want) {
		t.Errorf("%s: keys %v, want exactly %v", what, obj, want)
	}
	for _, k := range want {
		if _, ok := obj[k]; !ok {
			t.Errorf("%s: no %q in %v", what, k, obj)
		}
	}
}

func TestDataManagerIngestBodyForGclidConversion(t *testing.T) {
	tok := newFakeGoogleToken(t)
	dm := fakeDataManager(t)
	d := dmDest(dm.URL, tok.URL)
	c := sampleConversion()
	c.OrderID = "order-key-1"
	c.EventTime = time.Date(2026, 11, 20, 2, 4, 3, 0, time.FixedZone("PST", -8*3600))
	if _, de := deliver(t, d, c); de != nil {
		t.Fatal(de)
	}
	r := dm.only(t)
	if r.Method != http.MethodPost || r.Path != "/v1/events:ingest" || len(r.Query) != 0 {
		t.Errorf("request %s %s %v", r.Method, r.Path, r.Query)
	}
	if r.Header.Get("Authorization") != "Bearer at-1" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.Header)
	}
	for _, h := range []string{"developer-token", "login-customer-id"} {
		if _, ok := r.Header[http.CanonicalHeaderKey(h)]; ok {
			t.Errorf("%s header sent to Data Manager: %v", h, r.Header)
		}
	}
	body := decode(t, r.Body)
	keys(t, "request", body, "destinations", "events", "encoding")
	wantString(t, body["encoding"], "HEX")

	dest := path(t, body, "destinations", 0)
	keys(t, "destination", dest, "operatingAccount", "loginAccount", "productDestinationId")
	wantString(t, path(t, dest, "operatingAccount", "accountType"), "GOOGLE_ADS")
	wantString(t, path(t, dest, "operatingAccount", "accountId"), "1234567890")
	wantString(t, path(t, dest, "loginAccount", "accountType"), "GOOGLE_ADS")
	wantString(t, path(t, dest, "loginAccount", "accountId"), "1112223333")
	wantString(t, path(t, dest, "productDestinationId"), "987654")

	ev := path(t, body, "events", 0)
	keys(t, "event", ev, "transactionId", "eventTimestamp", "conversionValue", "currency", "adIdentifiers", "userData")
	wantString(t, path(t, ev, "transactionId"), "order-key-1")
	wantString(t, path(t, ev, "eventTimestamp"), "2026-11-20T10:04:03Z")
	wantNumber(t, path(t, ev, "conversionValue"), "49.9")
	wantString(t, path(t, ev, "currency"), "USD")
	keys(t, "adIdentifiers", path(t, ev, "adIdentifiers"), "gclid")
	wantString(t, path(t, ev, "adIdentifiers", "gclid"), "Cj0KCQ-gclid")

	ids := path(t, ev, "userData", "userIdentifiers").([]any)
	if len(ids) != 3 {
		t.Fatalf("userIdentifiers %v, want email, phone, address", ids)
	}
	keys(t, "identifier 0", ids[0], "emailAddress")
	wantString(t, path(t, ids[0], "emailAddress"), sha256Hex("john_smith@gmail.com"))
	keys(t, "identifier 1", ids[1], "phoneNumber")
	wantString(t, path(t, ids[1], "phoneNumber"), sha256Hex("+16505551212"))
	keys(t, "identifier 2", ids[2], "address")
	addr := path(t, ids[2], "address")
	wantString(t, path(t, addr, "givenName"), sha256Hex("mary"))
	wantString(t, path(t, addr, "familyName"), sha256Hex("obrien"))
	wantString(t, path(t, addr, "regionCode"), "US")
	wantString(t, path(t, addr, "postalCode"), "94025-1234")
}

func TestDataManagerUsesItsOAuthScope(t *testing.T) {
	d := dmDest("http://127.0.0.1", "http://127.0.0.1")
	if s := googleOAuthConfig(d).Scopes; len(s) != 1 || s[0] != "https://www.googleapis.com/auth/datamanager" {
		t.Errorf("data_manager scopes %v", s)
	}
	legacy := oauthGoogleDest("http://127.0.0.1", "http://127.0.0.1")
	if s := googleOAuthConfig(legacy).Scopes; len(s) != 1 || s[0] != "https://www.googleapis.com/auth/adwords" {
		t.Errorf("google_ads scopes %v", s)
	}
	other := d
	other.Config = maps.Clone(d.Config)
	other.Config["api"] = GoogleAPIAds
	if googleTokens.key(d) == googleTokens.key(other) {
		t.Error("a token for one scope must not be reused for the other")
	}
}

func TestDataManagerGmailRule(t *testing.T) {
	for in, want := range map[string]string{
		"Cloudy.San.Francisco+Shopping@GMAIL.com": "cloudysanfrancisco@gmail.com",
		"jo.hn+x@googlemail.com":                  "john@googlemail.com",
		"User.Name+NYC@Example.com":               "user.name+nyc@example.com",
		"+only@gmail.com":                         "",
	} {
		if got := normalizeDataManagerEmail(in); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}

// A value change resends the event with the same transactionId and the new
// value; a rejection, which Data Manager cannot retract, restates it to 0.
func TestDataManagerAdjustmentAndRetraction(t *testing.T) {
	tok := newFakeGoogleToken(t)
	dm := fakeDataManager(t)
	d := dmDest(dm.URL, tok.URL)

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
	reqs := dm.all()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, want := range []struct {
		name, value, updated string
	}{
		{"upload", "25", ""},
		{"restatement", "30", "2026-11-20T11:30:00Z"},
		{"retraction", "0", "2026-11-20T12:00:00Z"},
	} {
		r := reqs[i]
		if r.Path != "/v1/events:ingest" || r.Header.Get("developer-token") != "" {
			t.Errorf("%s: %s %v", want.name, r.Path, r.Header)
		}
		body := decode(t, r.Body)
		if _, ok := body["validateOnly"]; ok {
			t.Errorf("%s: validateOnly on a real delivery", want.name)
		}
		wantString(t, path(t, body, "destinations", 0, "productDestinationId"), "987654")
		ev := path(t, body, "events", 0)
		// The same conversion each time: Google matches on transactionId
		// within the conversion action, and wants the identifiers again.
		wantString(t, path(t, ev, "transactionId"), "order-key-1")
		wantString(t, path(t, ev, "eventTimestamp"), "2026-11-20T10:00:00Z")
		wantString(t, path(t, ev, "adIdentifiers", "gclid"), "Cj0KCQ-gclid")
		wantNumber(t, path(t, ev, "conversionValue"), want.value)
		wantString(t, path(t, ev, "currency"), "USD")
		got, ok := ev.(map[string]any)["lastUpdatedTimestamp"]
		if want.updated == "" && ok {
			t.Errorf("%s: lastUpdatedTimestamp %v on the first upload", want.name, got)
		}
		if want.updated != "" {
			wantString(t, got, want.updated)
		}
		for _, k := range []string{"adjustmentType", "orderId", "conversionAdjustments"} {
			if strings.Contains(string(r.Body), k) {
				t.Errorf("%s: Google Ads API field %q in a Data Manager body", want.name, k)
			}
		}
	}
}

func TestDataManagerTestEventIsValidateOnly(t *testing.T) {
	tok := newFakeGoogleToken(t)
	dm := fakeDataManager(t)
	out := testSender().SendTest(context.Background(), dmDest(dm.URL, tok.URL), TestEvent{GCLID: "Cj0-test"})
	if !out.Delivered {
		t.Fatalf("test event: %+v", out)
	}
	r := dm.only(t)
	if r.Path != "/v1/events:ingest" || r.Header.Get("developer-token") != "" {
		t.Errorf("%s %v", r.Path, r.Header)
	}
	body := decode(t, r.Body)
	if body["validateOnly"] != true {
		t.Errorf("validateOnly = %v", body["validateOnly"])
	}
	wantString(t, path(t, body, "events", 0, "adIdentifiers", "gclid"), "Cj0-test")
}

func TestGoogleEventsRoutedToTheirConversionActions(t *testing.T) {
	mapping := "Lead=111, Purchase=customers/123-456-7890/conversionActions/222"
	for _, tc := range []struct{ event, dm, ads string }{
		{"Lead", "111", "customers/1234567890/conversionActions/111"},
		{" lead ", "111", "customers/1234567890/conversionActions/111"},
		{"Purchase", "222", "customers/123-456-7890/conversionActions/222"},
		{"Subscribe", "987654", "customers/1234567890/conversionActions/987654"}, // the default
	} {
		tok := newFakeGoogleToken(t)
		dm := fakeDataManager(t)
		d := dmDest(dm.URL, tok.URL)
		d.Config["conversion_actions"] = mapping
		c := sampleConversion()
		c.EventName = tc.event
		if _, de := deliver(t, d, c); de != nil {
			t.Fatal(de)
		}
		wantString(t, path(t, decode(t, dm.only(t).Body), "destinations", 0, "productDestinationId"), tc.dm)

		ads := newFake(t, 200, `{"results":[{}]}`)
		legacy := googleDest(ads.URL)
		legacy.Config["conversion_actions"] = `{"Lead":"111","Purchase":"customers/123-456-7890/conversionActions/222"}`
		if _, de := send(t, legacy, c); de != nil {
			t.Fatal(de)
		}
		wantString(t, path(t, decode(t, ads.only(t).Body), "conversions", 0, "conversionAction"), tc.ads)
	}
}

func TestDataManagerConsent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		consent Consent
		want    map[string]string // nil: no consent object
	}{
		{"denied", Consent{AdUserData: ConsentDenied, AdPersonalization: ConsentDenied},
			map[string]string{"adUserData": "CONSENT_DENIED", "adPersonalization": "CONSENT_DENIED"}},
		{"mixed", Consent{AdUserData: ConsentGranted, AdPersonalization: ConsentDenied},
			map[string]string{"adUserData": "CONSENT_GRANTED", "adPersonalization": "CONSENT_DENIED"}},
		{"one signal", Consent{AdUserData: ConsentDenied}, map[string]string{"adUserData": "CONSENT_DENIED"}},
		{"none", Consent{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := newFakeGoogleToken(t)
			dm := fakeDataManager(t)
			c := sampleConversion()
			c.Consent = tc.consent
			if _, de := deliver(t, dmDest(dm.URL, tok.URL), c); de != nil {
				t.Fatal(de)
			}
			ev := path(t, decode(t, dm.only(t).Body), "events", 0).(map[string]any)
			got, ok := ev["consent"]
			if tc.want == nil {
				if ok {
					t.Errorf("consent %v sent without a signal", got)
				}
				return
			}
			want := make([]string, 0, len(tc.want))
			for k, v := range tc.want {
				want = append(want, k)
				wantString(t, path(t, got, k), v)
			}
			keys(t, "consent", got, want...)
		})
	}
}

func TestDataManagerNoUserDataNextToBraid(t *testing.T) {
	c := sampleConversion()
	c.User.GCLID, c.User.GBRAID = "", "gb-1"
	b, err := dataManagerPayload(dmDest("http://x", "http://x"), c, testNow)
	if err != nil {
		t.Fatal(err)
	}
	ev := b.Events[0]
	if ev.AdIdentifiers == nil || ev.AdIdentifiers.Gbraid != "gb-1" || ev.AdIdentifiers.Gclid != "" || ev.UserData != nil || b.Encoding != "" {
		t.Errorf("event %+v encoding %q", ev, b.Encoding)
	}
	c.User = UserData{IP: "203.0.113.9"}
	if _, err := dataManagerPayload(dmDest("http://x", "http://x"), c, testNow); err != errNoGoogleIdentifier {
		t.Errorf("no identifier: %v", err)
	}
}

func TestDataManagerErrorClassification(t *testing.T) {
	invalid := `{"error":{"code":400,"message":"There was a problem with the request.","status":"INVALID_ARGUMENT","details":[` +
		`{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"INVALID_ARGUMENT","domain":"datamanager.googleapis.com"},` +
		`{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"events.events[0].conversion_value","description":"Conversion value must be non-negative.","reason":"INVALID_CONVERSION_VALUE"}]}]}}`
	denied := `{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}`
	quota := `{"error":{"code":429,"message":"Quota exceeded.","status":"RESOURCE_EXHAUSTED"}}`
	unavailable := `{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}`
	for _, tc := range []struct {
		name       string
		status     int
		body       string
		retryAfter string
		retryable  bool
		wait       time.Duration
		text       string
	}{
		{"invalid argument", 400, invalid, "", false, 0, "INVALID_ARGUMENT: There was a problem with the request. (events.events[0].conversion_value: Conversion value must be non-negative.)"},
		{"permission denied", 403, denied, "", false, 0, "PERMISSION_DENIED: The caller does not have permission"},
		{"quota", 429, quota, "30", true, 30 * time.Second, "RESOURCE_EXHAUSTED"},
		{"unavailable", 503, unavailable, "", true, 0, "UNAVAILABLE"},
		{"aborted", 409, `{"error":{"code":409,"message":"Aborted.","status":"ABORTED"}}`, "", true, 0, "ABORTED: Aborted."},
		{"not found", 404, `{"error":{"code":404,"message":"Not found.","status":"NOT_FOUND"}}`, "", false, 0, "NOT_FOUND"},
		{"200 not JSON", 200, "<html>proxy</html>", "", true, 0, "unexpected answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.status, tc.body)
			if tc.retryAfter != "" {
				f.header = map[string]string{"Retry-After": tc.retryAfter}
			}
			d := googleDest(f.URL)
			d.Config["api"] = GoogleAPIDataManager
			_, de := send(t, d, sampleConversion())
			if de == nil {
				t.Fatal("want an error")
			}
			if de.Retryable != tc.retryable || de.RetryAfter != tc.wait || de.StatusCode != tc.status ||
				!strings.Contains(de.Error(), tc.text) {
				t.Errorf("got retryable=%v after=%v %q; want %v %v containing %q",
					de.Retryable, de.RetryAfter, de.Error(), tc.retryable, tc.wait, tc.text)
			}
		})
	}
}

// A refused access token is dropped, refreshed and the delivery tried once
// more; a second refusal is permanent.
func TestDataManagerRefreshesRefusedToken(t *testing.T) {
	tok := newFakeGoogleToken(t)
	dm := newFake(t, 200, "")
	dm.handler = func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at-2" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`)
			return
		}
		io.WriteString(w, `{"requestId":"r"}`)
	}
	d := dmDest(dm.URL, tok.URL)
	if _, de := deliver(t, d, sampleConversion()); de != nil {
		t.Fatalf("after a refresh: %v", de)
	}
	if got := authHeaders(dm); len(got) != 2 || got[0] != "Bearer at-1" || got[1] != "Bearer at-2" {
		t.Errorf("tokens sent %v", got)
	}

	tok2 := newFakeGoogleToken(t)
	never := newFake(t, 401, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`)
	_, de := deliver(t, dmDest(never.URL, tok2.URL), sampleConversion())
	if de == nil || de.Retryable || de.StatusCode != 401 || !strings.Contains(de.Error(), "UNAUTHENTICATED") || never.count() != 2 {
		t.Errorf("got %v after %d requests", de, never.count())
	}
}
