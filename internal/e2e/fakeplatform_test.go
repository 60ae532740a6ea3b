package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/destinations"
)

// fakePlatform is one conversion API (Meta, TikTok, Google Ads, GA4), traffic-source
// postback receiver or webhook endpoint on 127.0.0.1. It checks every request
// against the platform's published schema, answers from a script, and records each
// attempt. Like the real platforms it deduplicates on the event id: an event id
// answered 2xx more than once still counts as one conversion.
type fakePlatform struct {
	t    *testing.T
	kind string // meta, tiktok, google_ads, ga4, postback, webhook
	srv  *httptest.Server

	// What a correct request carries (from the destination's config).
	pixel, token, customerID, devToken string
	postbackParams                     []string // query parameters a postback must fill
	// actions are the Google Ads conversion action ids the customer has
	// (nil: only 987654321, the one destination() configures).
	actions []string
	secret  string // webhook signing secret

	// Google Ads with OAuth (useOAuth): the fake is also the token endpoint
	// (/token), issues a new access token per refresh and refuses with 401
	// a token it revoked (revokeFirst: the first one it issued, once used).
	oauth         bool
	revokeFirst   bool
	clientID      string
	clientSecret  string
	refreshToken  string
	issued        []string
	revoked       map[string]bool
	tokenProblems []string

	mu       sync.Mutex
	script   []answer
	attempts []attempt
	arrived  chan int      // attempt numbers, as requests arrive
	closing  chan struct{} // releases held answers when the test ends
}

// answer is what the fake says to one request.
type answer struct {
	Status     int
	Message    string        // the platform's error text; "" gives a stock one
	RetryAfter string        // Retry-After header
	Hold       chan struct{} // when set, the answer waits until it is closed
}

// attempt is one request the fake received.
type attempt struct {
	N        int
	At       time.Time
	Method   string
	Path     string
	EventID  string            // event_id, order_id, or the postback's transaction id
	Fields   map[string]string // selected payload values (hashes, click ids, value)
	Problems []string          // schema violations
	Reject   string            // a well-formed request the platform refuses (unknown pixel)
	Status   int               // what the fake answered
	Body     []byte            // the request body as received
}

var (
	hex64         = regexp.MustCompile(`^[0-9a-f]{64}$`)
	currencyCode  = regexp.MustCompile(`^[A-Z]{3}$`)
	googleTime    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$`)
	metaVersion   = regexp.MustCompile(`^v\d+\.\d+$`)
	googleVersion = regexp.MustCompile(`^v\d+$`)
	fbcFormat     = regexp.MustCompile(`^fb\.[0-2]\.\d+\.\S+$`)
)

// newFake starts a fake of kind; the returned config is what a destination
// pointing at it needs (endpoint separately: f.endpoint()).
func newFake(t *testing.T, kind string, script ...answer) *fakePlatform {
	t.Helper()
	f := &fakePlatform{t: t, kind: kind, script: script, arrived: make(chan int, 100), closing: make(chan struct{}),
		pixel: "1234567890123456", token: "EAAG-fake-token-" + kind + "-9f8e7d6c", customerID: "1234567890", devToken: "dev-TOKEN-abcdef12"}
	switch kind {
	case "tiktok":
		f.pixel = "CFAKEPIXEL123456"
	case "postback":
		f.postbackParams = []string{"cid", "tx", "payout", "cur", "status"}
	case "ga4":
		f.pixel, f.token = "G-FAKE12345", "ga4-fake-api-secret-5e4d"
	case "webhook":
		secret, err := destinations.NewWebhookSecret()
		if err != nil {
			t.Fatal(err)
		}
		f.secret = secret
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: f}}
	f.srv.Start()
	t.Cleanup(func() {
		close(f.closing)
		f.srv.Close()
	})
	return f
}

func (f *fakePlatform) endpoint() string { return f.srv.URL }

// useOAuth makes a Google Ads fake take OAuth2 refresh-token credentials (its
// own /token endpoint) instead of a fixed access token; with revokeFirst the
// first access token it issues is refused with 401, as an expired one is.
func (f *fakePlatform) useOAuth(revokeFirst bool) {
	f.oauth, f.revokeFirst = true, revokeFirst
	f.clientID, f.clientSecret, f.refreshToken = "1234-fake.apps.googleusercontent.com", "GOCSPX-fake-secret", "1//fake-refresh-token"
	f.revoked = map[string]bool{}
}

// tokens is how many access tokens the fake issued (refreshes).
func (f *fakePlatform) tokens() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.issued)
}

// serveToken is Google's OAuth2 token endpoint for the refresh_token grant
// (RFC 6749 section 6, client credentials in the form body).
func (f *fakePlatform) serveToken(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	var problems []string
	if r.Method != http.MethodPost {
		problems = append(problems, "token request method "+r.Method)
	}
	for k, want := range map[string]string{"grant_type": "refresh_token", "refresh_token": f.refreshToken,
		"client_id": f.clientID, "client_secret": f.clientSecret} {
		if got := r.PostForm.Get(k); got != want {
			problems = append(problems, fmt.Sprintf("token request %s = %q, want %q", k, got, want))
		}
	}
	f.mu.Lock()
	f.tokenProblems = append(f.tokenProblems, problems...)
	tok := fmt.Sprintf("ya29.fake-access-%d", len(f.issued)+1)
	if len(problems) == 0 {
		f.issued = append(f.issued, tok)
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if len(problems) > 0 {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
		return
	}
	_, _ = fmt.Fprintf(w, `{"access_token":%q,"expires_in":3599,"scope":"https://www.googleapis.com/auth/adwords","token_type":"Bearer"}`, tok)
}

// destination is the JSON body that creates a destination pointing at the fake.
func (f *fakePlatform) destination(name, fireOn string, campaignID int64) string {
	var cfg map[string]string
	endpoint := f.endpoint()
	switch f.kind {
	case "meta":
		cfg = map[string]string{"pixel_id": f.pixel, "access_token": f.token}
	case "tiktok":
		cfg = map[string]string{"pixel_code": f.pixel, "access_token": f.token}
	case "google_ads":
		// These fakes speak the Google Ads API; new destinations default
		// to the Data Manager API, so the choice is written out.
		cfg = map[string]string{"api": "google_ads", "customer_id": "123-456-7890", "conversion_action": "987654321",
			"developer_token": f.devToken, "access_token": f.token}
		if f.oauth {
			delete(cfg, "access_token")
			cfg["client_id"], cfg["client_secret"], cfg["refresh_token"] = f.clientID, f.clientSecret, f.refreshToken
			cfg["token_url"] = f.endpoint() + "/token"
		}
	case "ga4":
		cfg = map[string]string{"measurement_id": f.pixel, "api_secret": f.token}
	case "webhook":
		endpoint = ""
		cfg = map[string]string{"url": f.endpoint() + "/hook", "secret": f.secret}
	case "postback":
		endpoint = ""
		cfg = map[string]string{"url": f.endpoint() + "/postback?cid={click_id}&tx={transaction_id}&payout={payout}&cur={currency}&status={status}&s1={sub1}"}
	}
	raw, _ := json.Marshal(map[string]any{"type": f.kind, "name": name, "endpoint": endpoint, "config": cfg,
		"fire_on": fireOn, "campaign_id": campaignID})
	return string(raw)
}

// ServeHTTP records the request, checks it, and answers from the script.
func (f *fakePlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.oauth && r.URL.Path == "/token" {
		f.serveToken(w, r)
		return
	}
	if r.Method == "PRI" && r.Proto == "HTTP/2.0" {
		// An HTTP/2 connection preface is not Convrelay's delivery client (it speaks
		// HTTP/1.1): it is a gRPC client of a Temporal server stopped by another test,
		// reconnecting to a port this fake now holds. Counting it as a platform
		// request made TooManyRequestsHonoursRetryAfter fail in CI.
		w.WriteHeader(http.StatusHTTPVersionNotSupported)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	a := attempt{At: time.Now(), Method: r.Method, Path: r.URL.Path, Fields: map[string]string{}, Body: body}
	switch f.kind {
	case "meta":
		f.checkMeta(r, body, &a)
	case "tiktok":
		f.checkTikTok(r, body, &a)
	case "google_ads":
		f.checkGoogleAds(r, body, &a)
	case "ga4":
		f.checkGA4(r, body, &a)
	case "webhook":
		f.checkWebhook(r, body, &a)
	case "postback":
		f.checkPostback(r, body, &a)
	}
	f.mu.Lock()
	a.N = len(f.attempts) + 1
	ans := answer{Status: http.StatusOK}
	if len(f.script) > 0 {
		ans = f.script[min(a.N, len(f.script))-1]
	}
	if a.Reject != "" {
		ans = answer{Status: http.StatusBadRequest, Message: a.Reject}
	}
	if f.oauth && f.kind == "google_ads" {
		// An access token this endpoint did not issue, or revoked, is refused
		// as Google refuses an expired one.
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		known := slices.Contains(f.issued, tok)
		if known && f.revokeFirst && len(f.issued) > 0 && tok == f.issued[0] && !f.revoked[tok] {
			f.revoked[tok] = true
			known = false
		}
		a.Fields["token"] = tok
		if !known || f.revoked[tok] {
			ans = answer{Status: http.StatusUnauthorized, Message: "Request had invalid authentication credentials."}
		}
	}
	if len(a.Problems) > 0 {
		// A request the real platform would refuse is refused, whatever the script says.
		ans = answer{Status: http.StatusBadRequest, Message: "schema: " + strings.Join(a.Problems, "; ")}
	}
	a.Status = ans.Status
	f.attempts = append(f.attempts, a)
	f.mu.Unlock()
	f.arrived <- a.N

	if ans.Hold != nil {
		select {
		case <-ans.Hold:
		case <-f.closing:
		}
	}
	if ans.RetryAfter != "" {
		w.Header().Set("Retry-After", ans.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	if f.kind == "postback" {
		w.Header().Set("Content-Type", "text/plain")
	}
	w.WriteHeader(ans.Status)
	_, _ = io.WriteString(w, f.reply(ans))
}

// reply is the platform's own envelope for an answer.
func (f *fakePlatform) reply(ans answer) string {
	ok := ans.Status >= 200 && ans.Status < 300
	msg := ans.Message
	if msg == "" && !ok {
		msg = http.StatusText(ans.Status)
	}
	enc := func(v any) string { raw, _ := json.Marshal(v); return string(raw) }
	switch f.kind {
	case "meta":
		if ok {
			return enc(map[string]any{"events_received": 1, "messages": []string{}, "fbtrace_id": "AFakeTrace"})
		}
		e := map[string]any{"message": msg, "type": "OAuthException", "code": 100, "error_subcode": 2804003, "fbtrace_id": "AFakeTrace"}
		switch {
		case ans.Status == http.StatusTooManyRequests:
			e["code"], e["type"] = 4, "OAuthException"
			delete(e, "error_subcode")
		case ans.Status >= 500:
			e["code"], e["is_transient"] = 2, true
			delete(e, "error_subcode")
		}
		return enc(map[string]any{"error": e})
	case "tiktok":
		if ok {
			return enc(map[string]any{"code": 0, "message": "OK", "request_id": "20260101fake", "data": map[string]any{}})
		}
		code := 40002
		switch {
		case ans.Status == http.StatusTooManyRequests:
			code = 40100
		case ans.Status >= 500:
			code = 50002
		}
		return enc(map[string]any{"code": code, "message": msg, "request_id": "20260101fake", "data": map[string]any{}})
	case "google_ads":
		if ok {
			return enc(map[string]any{"results": []any{map[string]any{"conversionAction": "customers/1234567890/conversionActions/987654321"}}})
		}
		status := "INVALID_ARGUMENT"
		switch {
		case ans.Status == http.StatusTooManyRequests:
			status = "RESOURCE_EXHAUSTED"
		case ans.Status >= 500:
			status = "INTERNAL"
		}
		if ans.Status == http.StatusUnauthorized {
			status = "UNAUTHENTICATED"
		}
		return enc(map[string]any{"error": map[string]any{"code": ans.Status, "message": msg, "status": status}})
	case "ga4":
		if ok {
			return "" // the Measurement Protocol answers 2xx with no body
		}
	}
	if ok {
		return "OK"
	}
	return msg
}

// problem notes a schema violation.
func (a *attempt) problem(format string, args ...any) {
	a.Problems = append(a.Problems, fmt.Sprintf(format, args...))
}

// decodeJSON decodes body keeping numbers exact; a and what name the failure.
func decodeJSON(r *http.Request, body []byte, a *attempt) map[string]any {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		a.problem("Content-Type %q, want application/json", ct)
	}
	if r.Method != http.MethodPost {
		a.problem("method %s, want POST", r.Method)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		a.problem("body is not a JSON object: %v", err)
		return nil
	}
	return m
}

// onlyKeys reports keys of m the platform does not define.
func onlyKeys(a *attempt, where string, m map[string]any, allowed ...string) {
	ok := map[string]bool{}
	for _, k := range allowed {
		ok[k] = true
	}
	for k := range m {
		if !ok[k] {
			a.problem("%s: unknown field %q", where, k)
		}
	}
}

func str(v any) (string, bool) { s, ok := v.(string); return s, ok }

func obj(v any) (map[string]any, bool) { m, ok := v.(map[string]any); return m, ok }

// unixTime checks an event_time: whole seconds, not in the future, at most 7 days old.
func unixTime(a *attempt, where string, v any) {
	n, ok := v.(json.Number)
	if !ok {
		a.problem("%s: event_time must be a number, got %T", where, v)
		return
	}
	sec, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		a.problem("%s: event_time %q is not whole seconds", where, n)
		return
	}
	t := time.Unix(sec, 0)
	if t.After(time.Now().Add(time.Minute)) || time.Since(t) > 7*24*time.Hour {
		a.problem("%s: event_time %s out of range", where, t.UTC())
	}
}

func positiveNumber(a *attempt, where string, v any) string {
	n, ok := v.(json.Number)
	if !ok {
		a.problem("%s must be a number, got %T", where, v)
		return ""
	}
	if f, err := n.Float64(); err != nil || f < 0 {
		a.problem("%s %q is not a non-negative number", where, n)
	}
	return string(n)
}

// checkMeta follows the Conversions API: POST /{version}/{pixel}/events?access_token=,
// {"data":[server event]}; website events need client_user_agent and event_source_url;
// contact fields are arrays of SHA-256 hex digests.
func (f *fakePlatform) checkMeta(r *http.Request, body []byte, a *attempt) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case len(parts) != 3 || !metaVersion.MatchString(parts[0]) || parts[2] != "events":
		a.problem("path %q, want /vNN.N/<pixel>/events", r.URL.Path)
	case parts[1] != f.pixel:
		// A well-formed request for a pixel Meta does not know.
		a.Reject = fmt.Sprintf("Unsupported post request. Object with ID '%s' does not exist, cannot be loaded due to "+
			"missing permissions, or does not support this operation", parts[1])
	}
	if got := r.URL.Query().Get("access_token"); got != f.token {
		a.problem("access_token %q, want the configured token", got)
	}
	m := decodeJSON(r, body, a)
	if m == nil {
		return
	}
	onlyKeys(a, "body", m, "data", "test_event_code", "partner_agent", "namespace_id", "upload_id", "upload_tag", "upload_source")
	data, _ := m["data"].([]any)
	if len(data) != 1 {
		a.problem("data has %d events, want 1", len(data))
		return
	}
	ev, ok := obj(data[0])
	if !ok {
		a.problem("data[0] is not an object")
		return
	}
	onlyKeys(a, "event", ev, "event_name", "event_time", "event_id", "action_source", "event_source_url", "user_data",
		"custom_data", "opt_out", "data_processing_options", "data_processing_options_country", "data_processing_options_state",
		"referrer_url", "app_data", "original_event_data", "attribution_data", "messaging_channel")
	if s, _ := str(ev["event_name"]); s == "" {
		a.problem("event_name missing")
	}
	unixTime(a, "event", ev["event_time"])
	a.EventID, _ = str(ev["event_id"])
	if a.EventID == "" {
		a.problem("event_id missing: Meta cannot deduplicate")
	}
	source, _ := str(ev["action_source"])
	switch source {
	case "email", "website", "app", "phone_call", "chat", "physical_store", "system_generated", "business_messaging", "other":
	default:
		a.problem("action_source %q not allowed", source)
	}
	ud, ok := obj(ev["user_data"])
	if !ok {
		a.problem("user_data missing")
		return
	}
	onlyKeys(a, "user_data", ud, "em", "ph", "fn", "ln", "db", "ge", "ct", "st", "zp", "country", "external_id",
		"client_ip_address", "client_user_agent", "fbc", "fbp", "subscription_id", "fb_login_id", "lead_id",
		"anon_id", "madid", "page_id", "page_scoped_user_id", "ctwa_clid", "ig_account_id", "ig_sid")
	hashed := 0
	for _, k := range []string{"em", "ph", "fn", "ln", "db", "ge", "ct", "st", "zp", "country", "external_id"} {
		v, present := ud[k]
		if !present {
			continue
		}
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			a.problem("user_data.%s must be a non-empty array", k)
			continue
		}
		for _, h := range arr {
			if s, _ := str(h); !hex64.MatchString(s) {
				a.problem("user_data.%s %v is not a SHA-256 hex digest", k, h)
			}
		}
		hashed++
		a.Fields[k], _ = str(arr[0])
	}
	for _, k := range []string{"client_ip_address", "client_user_agent", "fbc", "fbp"} {
		if v, present := ud[k]; present {
			s, _ := str(v)
			if s == "" {
				a.problem("user_data.%s must be a non-empty string", k)
			}
			a.Fields[k] = s
		}
	}
	if ip := a.Fields["client_ip_address"]; ip != "" && net.ParseIP(ip) == nil {
		a.problem("client_ip_address %q is not an IP (it must not be hashed)", ip)
	}
	if fbc := a.Fields["fbc"]; fbc != "" && !fbcFormat.MatchString(fbc) {
		a.problem("fbc %q is not fb.N.<ms>.<fbclid>", fbc)
	}
	if hashed == 0 && a.Fields["client_ip_address"] == "" && a.Fields["fbc"] == "" && a.Fields["fbp"] == "" {
		a.problem("user_data carries no customer information parameter")
	}
	if source == "website" {
		if a.Fields["client_user_agent"] == "" {
			a.problem("client_user_agent is required for website events")
		}
		if u, _ := str(ev["event_source_url"]); u == "" {
			a.problem("event_source_url is required for website events")
		}
	}
	name, _ := str(ev["event_name"])
	cd, hasCD := obj(ev["custom_data"])
	if hasCD {
		if v, present := cd["value"]; present {
			a.Fields["value"] = positiveNumber(a, "custom_data.value", v)
		}
		if c, present := cd["currency"]; present {
			if s, _ := str(c); !currencyCode.MatchString(s) {
				a.problem("custom_data.currency %v is not ISO 4217", c)
			}
			a.Fields["currency"], _ = str(c)
		}
		a.Fields["order_id"], _ = str(cd["order_id"])
	}
	if name == "Purchase" && (a.Fields["value"] == "" || a.Fields["currency"] == "") {
		a.problem("Purchase needs custom_data.value and custom_data.currency")
	}
}

// checkTikTok follows Events API 2.0: POST /open_api/v1.3/event/track/ with
// Access-Token, {"event_source":"web","event_source_id":pixel,"data":[event]}.
func (f *fakePlatform) checkTikTok(r *http.Request, body []byte, a *attempt) {
	if r.URL.Path != "/open_api/v1.3/event/track/" {
		a.problem("path %q, want /open_api/v1.3/event/track/", r.URL.Path)
	}
	if got := r.Header.Get("Access-Token"); got != f.token {
		a.problem("Access-Token %q, want the configured token", got)
	}
	m := decodeJSON(r, body, a)
	if m == nil {
		return
	}
	onlyKeys(a, "body", m, "event_source", "event_source_id", "test_event_code", "data", "partner_name")
	if s, _ := str(m["event_source"]); s != "web" && s != "app" && s != "offline" && s != "crm" {
		a.problem("event_source %q", s)
	}
	if s, _ := str(m["event_source_id"]); s != f.pixel {
		a.problem("event_source_id %q, want the pixel code %q", s, f.pixel)
	}
	data, _ := m["data"].([]any)
	if len(data) != 1 {
		a.problem("data has %d events, want 1", len(data))
		return
	}
	ev, ok := obj(data[0])
	if !ok {
		a.problem("data[0] is not an object")
		return
	}
	onlyKeys(a, "event", ev, "event", "event_time", "event_id", "user", "properties", "page", "limited_data_use", "app", "ad", "lead")
	if s, _ := str(ev["event"]); s == "" {
		a.problem("event missing")
	}
	unixTime(a, "event", ev["event_time"])
	a.EventID, _ = str(ev["event_id"])
	if a.EventID == "" {
		a.problem("event_id missing: TikTok cannot deduplicate")
	}
	u, ok := obj(ev["user"])
	if !ok {
		a.problem("user missing")
		return
	}
	onlyKeys(a, "user", u, "ttclid", "ttp", "email", "phone", "external_id", "ip", "user_agent", "locale", "idfa", "idfv", "gaid")
	for _, k := range []string{"email", "phone", "external_id"} {
		if v, present := u[k]; present {
			s, _ := str(v)
			if !hex64.MatchString(s) {
				a.problem("user.%s %v is not a SHA-256 hex digest", k, v)
			}
			a.Fields[k] = s
		}
	}
	for _, k := range []string{"ttclid", "ip", "user_agent"} {
		if v, present := u[k]; present {
			a.Fields[k], _ = str(v)
		}
	}
	if a.Fields["email"] == "" && a.Fields["phone"] == "" && a.Fields["external_id"] == "" && a.Fields["ttclid"] == "" &&
		a.Fields["ip"] == "" {
		a.problem("user carries no matching key")
	}
	if p, ok := obj(ev["properties"]); ok {
		onlyKeys(a, "properties", p, "value", "currency", "content_type", "contents", "order_id", "content_ids", "description", "query", "shop_id")
		if v, present := p["value"]; present {
			a.Fields["value"] = positiveNumber(a, "properties.value", v)
		}
		if c, present := p["currency"]; present {
			if s, _ := str(c); !currencyCode.MatchString(s) {
				a.problem("properties.currency %v is not ISO 4217", c)
			}
		}
	}
}

// checkGoogleAds follows ConversionUploadService: POST
// /{version}/customers/{id}:uploadClickConversions with developer-token and a bearer
// token; partialFailure true; one click id at most; identifiers are a oneof. An
// adjustment goes to ConversionAdjustmentUploadService (checkGoogleAdjustment).
// Fields["op"] says which: upload, RESTATEMENT or RETRACTION.
func (f *fakePlatform) checkGoogleAds(r *http.Request, body []byte, a *attempt) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	method := ""
	if len(parts) == 3 {
		_, method, _ = strings.Cut(parts[2], ":")
	}
	if len(parts) != 3 || !googleVersion.MatchString(parts[0]) || parts[1] != "customers" ||
		(parts[2] != f.customerID+":uploadClickConversions" && parts[2] != f.customerID+":uploadConversionAdjustments") {
		a.problem("path %q, want /vNN/customers/%s:uploadClickConversions or :uploadConversionAdjustments", r.URL.Path, f.customerID)
	}
	if got := r.Header.Get("developer-token"); got != f.devToken {
		a.problem("developer-token %q", got)
	}
	if got := r.Header.Get("Authorization"); !f.oauth && got != "Bearer "+f.token {
		a.problem("Authorization %q, want the bearer token", got)
	} else if f.oauth && !strings.HasPrefix(got, "Bearer ya29.") {
		a.problem("Authorization %q, want a bearer access token from the token endpoint", got)
	}
	m := decodeJSON(r, body, a)
	if m == nil {
		return
	}
	if method == "uploadConversionAdjustments" {
		f.checkGoogleAdjustment(m, a)
		return
	}
	a.Fields["op"] = "upload"
	onlyKeys(a, "body", m, "conversions", "partialFailure", "validateOnly", "debugEnabled", "jobId")
	if pf, _ := m["partialFailure"].(bool); !pf {
		a.problem("partialFailure must be true")
	}
	convs, _ := m["conversions"].([]any)
	if len(convs) != 1 {
		a.problem("conversions has %d rows, want 1", len(convs))
		return
	}
	c, ok := obj(convs[0])
	if !ok {
		a.problem("conversions[0] is not an object")
		return
	}
	onlyKeys(a, "conversion", c, "gclid", "gbraid", "wbraid", "conversionAction", "conversionDateTime", "conversionValue",
		"currencyCode", "orderId", "externalAttributionData", "customVariables", "cartData", "userIdentifiers",
		"conversionEnvironment", "consent", "customerType", "userIpAddress", "sessionAttributesEncoded", "sessionAttributesKeyValuePairs")
	actions := f.actions
	if actions == nil {
		actions = []string{"987654321"}
	}
	action, _ := str(c["conversionAction"])
	if !slices.ContainsFunc(actions, func(id string) bool { return action == "customers/"+f.customerID+"/conversionActions/"+id }) {
		a.problem("conversionAction %q", action)
	}
	a.Fields["conversionAction"] = action
	if s, _ := str(c["conversionDateTime"]); !googleTime.MatchString(s) {
		a.problem("conversionDateTime %q is not yyyy-mm-dd hh:mm:ss+hh:mm", s)
	}
	clickIDs := 0
	for _, k := range []string{"gclid", "gbraid", "wbraid"} {
		if v, present := c[k]; present {
			clickIDs++
			a.Fields[k], _ = str(v)
		}
	}
	if clickIDs > 1 {
		a.problem("more than one of gclid, gbraid, wbraid")
	}
	ids, _ := c["userIdentifiers"].([]any)
	for i, v := range ids {
		id, _ := obj(v)
		if len(id) != 1 {
			a.problem("userIdentifiers[%d] must set exactly one identifier, has %d", i, len(id))
		}
		for k, hv := range id {
			switch k {
			case "hashedEmail", "hashedPhoneNumber":
				s, _ := str(hv)
				if !hex64.MatchString(s) {
					a.problem("userIdentifiers[%d].%s %v is not a SHA-256 hex digest", i, k, hv)
				}
				a.Fields[k] = s
			default:
				a.problem("userIdentifiers[%d]: unexpected %q", i, k)
			}
		}
	}
	if clickIDs == 0 && len(ids) == 0 {
		a.problem("no click id and no user identifier")
	}
	if v, present := c["conversionValue"]; present {
		a.Fields["value"] = positiveNumber(a, "conversionValue", v)
	}
	if v, present := c["currencyCode"]; present {
		if s, _ := str(v); !currencyCode.MatchString(s) {
			a.problem("currencyCode %v is not ISO 4217", v)
		}
	}
	a.EventID, _ = str(c["orderId"])
	if a.EventID == "" {
		a.problem("orderId missing: Google cannot deduplicate")
	}
}

// checkGoogleAdjustment follows UploadConversionAdjustments: one RESTATEMENT
// (with restatementValue) or RETRACTION (without) finding the conversion by its
// orderId, with partialFailure true.
func (f *fakePlatform) checkGoogleAdjustment(m map[string]any, a *attempt) {
	onlyKeys(a, "body", m, "conversionAdjustments", "partialFailure", "validateOnly", "jobId")
	if pf, _ := m["partialFailure"].(bool); !pf {
		a.problem("partialFailure must be true")
	}
	adjs, _ := m["conversionAdjustments"].([]any)
	if len(adjs) != 1 {
		a.problem("conversionAdjustments has %d rows, want 1", len(adjs))
		return
	}
	adj, ok := obj(adjs[0])
	if !ok {
		a.problem("conversionAdjustments[0] is not an object")
		return
	}
	onlyKeys(a, "adjustment", adj, "conversionAction", "adjustmentType", "adjustmentDateTime", "orderId", "gclidDateTimePair",
		"restatementValue", "userIdentifiers", "userAgent")
	if s, _ := str(adj["conversionAction"]); s != "customers/"+f.customerID+"/conversionActions/987654321" {
		a.problem("conversionAction %q", s)
	}
	if s, _ := str(adj["adjustmentDateTime"]); !googleTime.MatchString(s) {
		a.problem("adjustmentDateTime %q is not yyyy-mm-dd hh:mm:ss+hh:mm", s)
	}
	a.EventID, _ = str(adj["orderId"])
	if a.EventID == "" {
		a.problem("orderId missing: Google cannot find the conversion to adjust")
	}
	typ, _ := str(adj["adjustmentType"])
	a.Fields["op"] = typ
	rv, hasValue := obj(adj["restatementValue"])
	switch typ {
	case "RESTATEMENT":
		if !hasValue {
			a.problem("RESTATEMENT without restatementValue")
			return
		}
		onlyKeys(a, "restatementValue", rv, "adjustedValue", "currencyCode")
		a.Fields["value"] = positiveNumber(a, "restatementValue.adjustedValue", rv["adjustedValue"])
		if c, _ := str(rv["currencyCode"]); !currencyCode.MatchString(c) {
			a.problem("restatementValue.currencyCode %q is not ISO 4217", c)
		}
	case "RETRACTION":
		if _, present := adj["restatementValue"]; present {
			a.problem("RETRACTION with a restatementValue")
		}
	default:
		a.problem("adjustmentType %q, want RESTATEMENT or RETRACTION", typ)
	}
}

// checkGA4 follows the Measurement Protocol: POST /mp/collect?measurement_id=&api_secret=,
// {"client_id", "timestamp_micros"?, "events":[{"name","params"}]}.
func (f *fakePlatform) checkGA4(r *http.Request, body []byte, a *attempt) {
	if r.URL.Path != "/mp/collect" {
		a.problem("path %q, want /mp/collect", r.URL.Path)
	}
	q := r.URL.Query()
	if q.Get("measurement_id") != f.pixel || q.Get("api_secret") != f.token {
		a.problem("measurement_id %q and api_secret %q, want the configured ones", q.Get("measurement_id"), q.Get("api_secret"))
	}
	m := decodeJSON(r, body, a)
	if m == nil {
		return
	}
	onlyKeys(a, "body", m, "client_id", "user_id", "timestamp_micros", "user_properties", "consent", "non_personalized_ads",
		"events", "user_data", "user_location", "device", "ip_override", "validation_behavior")
	if s, _ := str(m["client_id"]); s == "" {
		a.problem("client_id missing")
	}
	if v, present := m["timestamp_micros"]; present {
		n, _ := v.(json.Number)
		us, err := n.Int64()
		if err != nil || len(string(n)) < 16 {
			a.problem("timestamp_micros %v is not microseconds", v)
		} else if t := time.UnixMicro(us); time.Since(t) > 72*time.Hour || t.After(time.Now().Add(time.Minute)) {
			a.problem("timestamp_micros %s is more than 72 hours old or in the future", t.UTC())
		}
	}
	events, _ := m["events"].([]any)
	if len(events) != 1 {
		a.problem("events has %d entries, want 1", len(events))
		return
	}
	ev, ok := obj(events[0])
	if !ok {
		a.problem("events[0] is not an object")
		return
	}
	onlyKeys(a, "event", ev, "name", "params")
	name, _ := str(ev["name"])
	if name == "" || len(name) > 40 {
		a.problem("event name %q", name)
	}
	a.Fields["name"] = name
	p, _ := obj(ev["params"])
	a.EventID, _ = str(p["transaction_id"])
	if a.EventID == "" {
		a.problem("params.transaction_id missing: GA4 cannot deduplicate the purchase")
	}
	if v, present := p["value"]; present {
		a.Fields["value"] = positiveNumber(a, "params.value", v)
	}
	if c, present := p["currency"]; present {
		if s, _ := str(c); !currencyCode.MatchString(s) {
			a.problem("params.currency %v is not ISO 4217", c)
		}
		a.Fields["currency"], _ = str(c)
	}
}

// checkWebhook follows Standard Webhooks: a POST signed over id.timestamp.body
// with the destination's secret, the id in webhook-id and in the body.
func (f *fakePlatform) checkWebhook(r *http.Request, body []byte, a *attempt) {
	if r.URL.Path != "/hook" {
		a.problem("path %q, want /hook", r.URL.Path)
	}
	if err := destinations.VerifyWebhook(f.secret, r.Header, body); err != nil {
		a.problem("signature: %v", err)
	}
	m := decodeJSON(r, body, a)
	if m == nil {
		return
	}
	onlyKeys(a, "body", m, "id", "type", "occurred_at", "conversion")
	a.EventID, _ = str(m["id"])
	if a.EventID == "" || a.EventID != r.Header.Get(destinations.WebhookIDHeader) {
		a.problem("id %q, want the webhook-id header %q", a.EventID, r.Header.Get(destinations.WebhookIDHeader))
	}
	a.Fields["type"], _ = str(m["type"])
	if t := a.Fields["type"]; t != "conversion" && t != "reversal" {
		a.problem("type %q", t)
	}
	if s, _ := str(m["occurred_at"]); s == "" {
		a.problem("occurred_at missing")
	} else if _, err := time.Parse(time.RFC3339, s); err != nil {
		a.problem("occurred_at %q is not RFC 3339", s)
	}
	c, ok := obj(m["conversion"])
	if !ok {
		a.problem("conversion missing")
		return
	}
	for _, k := range []string{"status", "value", "currency", "transaction_id", "event_name"} {
		a.Fields[k], _ = str(c[k])
	}
}

// checkPostback: a traffic source's GET postback with every macro filled.
func (f *fakePlatform) checkPostback(r *http.Request, _ []byte, a *attempt) {
	if r.Method != http.MethodGet {
		a.problem("method %s, want GET", r.Method)
	}
	if r.URL.Path != "/postback" {
		a.problem("path %q, want /postback", r.URL.Path)
	}
	q := r.URL.Query()
	for _, k := range f.postbackParams {
		v := q.Get(k)
		if v == "" {
			a.problem("postback parameter %s is empty", k)
		}
		a.Fields[k] = v
	}
	if strings.ContainsAny(r.URL.RawQuery, "{}") {
		a.problem("unfilled macro in %q", r.URL.RawQuery)
	}
	if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
		a.problem("query does not parse: %v", err)
	}
	a.EventID = q.Get("tx")
}

// log returns a copy of the attempts so far.
func (f *fakePlatform) log() []attempt {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]attempt(nil), f.attempts...)
}

// requests is the number of requests received.
func (f *fakePlatform) requests() int { return len(f.log()) }

// eventIDs counts requests per event id.
func (f *fakePlatform) eventIDs() map[string]int {
	out := map[string]int{}
	for _, a := range f.log() {
		out[a.EventID]++
	}
	return out
}

// conversions is what the platform counted: distinct event ids it answered 2xx.
func (f *fakePlatform) conversions() map[string]bool {
	out := map[string]bool{}
	for _, a := range f.log() {
		if a.Status >= 200 && a.Status < 300 {
			out[a.EventID] = true
		}
	}
	return out
}

// assertValid fails the test for every request that broke the platform's schema.
func (f *fakePlatform) assertValid(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	for _, p := range f.tokenProblems {
		t.Errorf("%s token endpoint: %s", f.kind, p)
	}
	f.mu.Unlock()
	for _, a := range f.log() {
		for _, p := range a.Problems {
			t.Errorf("%s request %d: %s", f.kind, a.N, p)
		}
	}
}

// waitArrival waits for the n-th request.
func (f *fakePlatform) waitArrival(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case got := <-f.arrived:
			if got >= n {
				return
			}
		case <-deadline:
			t.Fatalf("%s: request %d did not arrive within %s (got %d)", f.kind, n, timeout, f.requests())
		}
	}
}
