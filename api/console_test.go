package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/store"
)

type consoleClient struct {
	t    *testing.T
	h    *harness
	http *http.Client
}

func newConsoleClient(t *testing.T, h *harness) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, h: h, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (cc *consoleClient) get(path string) (int, string, http.Header) {
	cc.t.Helper()
	resp, err := cc.http.Get(cc.h.srv.URL + path)
	if err != nil {
		cc.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (cc *consoleClient) post(path string, form url.Values) (int, string, http.Header) {
	cc.t.Helper()
	if path == "/console/login" && !form.Has("csrf") { // the sign-in form's token, as a browser sends it
		form.Set("csrf", cc.csrf("/console/login"))
	}
	resp, err := cc.http.PostForm(cc.h.srv.URL+path, form)
	if err != nil {
		cc.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (cc *consoleClient) csrf(page string) string {
	cc.t.Helper()
	_, body, _ := cc.get(page)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		cc.t.Fatalf("no CSRF token on %s", page)
	}
	return m[1]
}

func TestConsoleSignInSessionAndCSRF(t *testing.T) {
	h := newHarness(t)
	cc := newConsoleClient(t, h)
	if code, _, hdr := cc.get("/console/postbacks"); code != http.StatusSeeOther || hdr.Get("Location") != "/console/login" {
		t.Fatalf("signed out: %d to %q, want the sign-in page", code, hdr.Get("Location"))
	}
	if code, _, _ := cc.post("/console/login", url.Values{"key": {"cr_wrong"}}); code != http.StatusUnauthorized {
		t.Fatalf("wrong key answered %d", code)
	}
	code, _, hdr := cc.post("/console/login", url.Values{"key": {h.key}})
	if code != http.StatusSeeOther {
		t.Fatalf("sign-in answered %d", code)
	}
	cookie := hdr.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/console"} {
		if !strings.Contains(cookie, want) {
			t.Fatalf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, h.key) {
		t.Fatal("the session cookie carries the admin key")
	}
	// Every page renders for a new account, with a next step.
	for _, p := range []string{"/console/", "/console/integrations", "/console/postbacks", "/console/conversions", "/console/deliveries",
		"/console/campaigns", "/console/destinations", "/console/reports"} {
		code, body, _ := cc.get(p)
		if code != http.StatusOK || !strings.Contains(body, "</html>") {
			t.Fatalf("%s answered %d", p, code)
		}
	}
	if _, body, _ := cc.get("/console/"); !strings.Contains(body, "Send your first postback") || !strings.Contains(body, "/"+h.account.ID+"/pb") {
		t.Fatal("a new account's overview does not say how to send the first postback")
	}
	// A form without the CSRF token is refused; with it, it works.
	if code, _, _ := cc.post("/console/integrations", url.Values{"slug": {"net"}, "preset": {"custom"}}); code != http.StatusForbidden {
		t.Fatalf("form without CSRF answered %d", code)
	}
	token := cc.csrf("/console/integrations")
	if code, _, _ := cc.post("/console/integrations", url.Values{"slug": {"net"}, "preset": {"custom"}, "csrf": {token}}); code != http.StatusOK {
		t.Fatalf("create integration answered %d", code)
	}
	if _, err := h.st.GetIntegration(context.Background(), h.account.ID, "net"); err != nil {
		t.Fatalf("integration not created: %v", err)
	}
	// Signing out ends the session.
	cc.post("/console/logout", url.Values{"csrf": {token}})
	if code, _, _ := cc.get("/console/postbacks"); code != http.StatusSeeOther {
		t.Fatalf("after sign-out a page answered %d", code)
	}
}

func TestConsoleShowsAPostbackAndItsConversion(t *testing.T) {
	h := newHarness(t)
	code, body := h.do("GET", h.pbURL("hit=h1&tx=CON-1&rev=12.5&status=approved"), "", "")
	if code != http.StatusOK {
		t.Fatalf("postback %d %v", code, body)
	}
	res := h.apply(t, int64(body["postback_id"].(float64)))
	cc := newConsoleClient(t, h)
	cc.post("/console/login", url.Values{"key": {h.key}})
	_, page, _ := cc.get("/console/postbacks?transaction_id=CON-1")
	if !strings.Contains(page, "CON-1") || !strings.Contains(page, "accepted") {
		t.Fatal("the postback log page does not show the postback")
	}
	_, page, _ = cc.get("/console/conversions/" + itoaTest(res.State.ConversionID))
	for _, want := range []string{"CON-1", "12.5", "none → approved", "In the account's currency: <strong>12.5 EUR</strong>"} {
		if !strings.Contains(page, want) {
			i := strings.Index(page, "as sent")
			t.Fatalf("conversion page lacks %q: %s", want, page[i:min(len(page), i+400)])
		}
	}
	_, csvBody, hdr := cc.get("/console/reports.csv?group_by=day")
	if !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || !strings.HasPrefix(csvBody, "day,clicks,") {
		t.Fatalf("report CSV: %q %q", hdr.Get("Content-Type"), csvBody)
	}
}

func itoaTest(n int64) string { return strconv.FormatInt(n, 10) }

// A destination's test event is sent from the console and its answer shown.
func TestConsoleSendsATestEvent(t *testing.T) {
	h := newHarness(t, allowLoopback)
	var got int
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got++; w.WriteHeader(http.StatusOK) }))
	defer fake.Close()
	id := h.destination(`{"type":"webhook","name":"crm","config":{"url":"` + fake.URL + `/hook"}}`)
	cc := newConsoleClient(t, h)
	cc.post("/console/login", url.Values{"key": {h.key}})
	token := cc.csrf("/console/destinations")
	code, page, _ := cc.post("/console/destinations/"+id+"/test", url.Values{"csrf": {token}})
	if code != http.StatusOK || !strings.Contains(page, "Test event to crm: delivered") || got != 1 {
		t.Fatalf("test event: %d, fake got %d, page shows result: %v", code, got, strings.Contains(page, "Test event to crm"))
	}
	if convs, _ := h.st.ListConversions(context.Background(), h.account.ID, store.ConversionFilter{Limit: 10}); len(convs) != 0 {
		t.Fatalf("a test event recorded %d conversions", len(convs))
	}
}

// The postback log pages with a cursor: the "older" link shows the next rows.
func TestConsolePostbackLogPages(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 55; i++ {
		e := &store.LogEntry{AccountID: h.account.ID, Integration: "pb", Method: "GET", Path: "/pb", ReceivedAt: time.Now(),
			TransactionID: "PAGE-" + strconv.Itoa(i), Outcome: "rejected", Error: "test row"}
		if err := h.st.InsertLog(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	cc := newConsoleClient(t, h)
	cc.post("/console/login", url.Values{"key": {h.key}})
	_, first, _ := cc.get("/console/postbacks?outcome=rejected")
	if !strings.Contains(first, "PAGE-54") || strings.Contains(first, "PAGE-0<") {
		t.Fatal("the first page is not the newest 50")
	}
	m := regexp.MustCompile(`href="(/console/postbacks\?[^"]*cursor=[0-9]+[^"]*)"`).FindStringSubmatch(first)
	if m == nil {
		t.Fatal("no link to older postbacks")
	}
	_, older, _ := cc.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if !strings.Contains(older, "PAGE-0<") || strings.Contains(older, "PAGE-54") || !strings.Contains(older, "outcome") {
		t.Fatal("the older page does not hold the oldest rows")
	}
}

// The console shows an integration's token in full once, on the page that
// answers its creation or rotation, and masked afterwards; the older token
// works until it is revoked from the page.
func TestConsoleShowsATokenOnce(t *testing.T) {
	h := newHarness(t)
	cc := newConsoleClient(t, h)
	cc.post("/console/login", url.Values{"key": {h.key}})
	csrf := cc.csrf("/console/integrations")
	newURL := regexp.MustCompile(`<code id="new-url">([^<]+)</code>`)
	code, page, hdr := cc.post("/console/integrations", url.Values{"slug": {"net"}, "preset": {"custom"}, "csrf": {csrf}})
	token := h.token("net")
	m := newURL.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil || !strings.Contains(m[1], "token="+token) || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("creation page: %d, cache %q, shown URL %v", code, hdr.Get("Cache-Control"), m)
	}
	for _, p := range []string{"/console/integrations", "/console/", "/console/postbacks"} {
		_, page, _ := cc.get(p)
		if strings.Contains(page, token) || strings.Contains(page, h.token("pb")) {
			t.Fatalf("%s shows a token after its creation", p)
		}
	}
	_, page, _ = cc.get("/console/integrations")
	if !strings.Contains(page, "<code>"+token[:7]+"…</code>") || !strings.Contains(page, "token={token}") {
		t.Fatal("the integrations page does not show the token masked and the template with {token}")
	}
	// Rotation: a new token, shown once, beside the old one.
	code, page, _ = cc.post("/console/integrations/net/tokens", url.Values{"csrf": {csrf}})
	newToken := h.token("net")
	if m := newURL.FindStringSubmatch(page); code != http.StatusOK || newToken == token || m == nil || !strings.Contains(m[1], "token="+newToken) ||
		!strings.Contains(page, "older tokens keep working") {
		t.Fatalf("rotation page: %d, shown URL %v", code, m)
	}
	if _, page, _ := cc.get("/console/integrations"); strings.Contains(page, newToken) {
		t.Fatal("the rotated token is shown again")
	}
	collect := "/" + h.account.ID + "/collect/net?click_id=a&token="
	for _, tok := range []string{token, newToken} {
		if code, _ := h.do("GET", collect+tok, "", ""); code != http.StatusOK {
			t.Fatalf("postback with a token shown once: %d", code)
		}
	}
	in, err := h.st.GetIntegration(context.Background(), h.account.ID, "net")
	if err != nil {
		t.Fatal(err)
	}
	code, _, hdr = cc.post("/console/integrations/net/tokens/"+itoaTest(in.Tokens[0].ID)+"/revoke", url.Values{"csrf": {csrf}})
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "Token+revoked") {
		t.Fatalf("revoke: %d to %q", code, hdr.Get("Location"))
	}
	if code, _ := h.do("GET", collect+token, "", ""); code != http.StatusForbidden {
		t.Fatalf("revoked token answered %d, want 403", code)
	}
	if code, _ := h.do("GET", collect+newToken, "", ""); code != http.StatusOK {
		t.Fatalf("the remaining token answered %d", code)
	}
	_, _, hdr = cc.post("/console/integrations/net/tokens/"+itoaTest(in.Tokens[1].ID)+"/revoke", url.Values{"csrf": {csrf}})
	if !strings.Contains(hdr.Get("Location"), "Not+revoked") {
		t.Fatalf("revoking the last token: redirected to %q, want it refused", hdr.Get("Location"))
	}
}
