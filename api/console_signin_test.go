package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/store"
)

// withSession is a fresh console client that presents cookie as its session.
func withSession(t *testing.T, h *harness, cookie string) *consoleClient {
	t.Helper()
	cc := newConsoleClient(t, h)
	u, _ := url.Parse(h.srv.URL + "/console/")
	cc.http.Jar.SetCookies(u, []*http.Cookie{{Name: "convrelay_session", Value: cookie, Path: "/console"}})
	return cc
}

// sessionCookie is the console session cookie a client holds.
func (cc *consoleClient) sessionCookie() string {
	u, _ := url.Parse(cc.h.srv.URL + "/console/")
	for _, c := range cc.http.Jar.Cookies(u) {
		if c.Name == "convrelay_session" {
			return c.Value
		}
	}
	return ""
}

func signedOut(code int, hdr http.Header) bool {
	return code == http.StatusSeeOther && hdr.Get("Location") == "/console/login"
}

// Everything the database holds about a key and its sessions (the key's hash,
// the installation's console secret, a session row's hash) cannot be turned
// into a console session.
func TestForgedConsoleCookieFromDatabaseIsRefused(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	secret, err := h.st.InstallationSecret(ctx, "console_session_hmac")
	if err != nil {
		t.Fatal(err)
	}
	// The cookie format of signed key sessions: account|key hash|expiry, HMAC'd
	// with the secret the database holds.
	payload := h.account.ID + "|" + store.HashKey(h.key) + "|" + strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(payload))
	forged := base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	if code, _, hdr := withSession(t, h, forged).get("/console/postbacks"); !signedOut(code, hdr) {
		t.Fatalf("a cookie signed with the database's secret: %d, want the sign-in page", code)
	}
	// A real session exists; its row's hash is no cookie either.
	cc := newConsoleClient(t, h)
	if code, _, _ := cc.post("/console/login", url.Values{"key": {h.key}}); code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", code)
	}
	var idHash string
	if err := h.st.Pool.QueryRow(ctx, `SELECT id_hash FROM key_sessions`).Scan(&idHash); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"k." + idHash, idHash, "u." + idHash} {
		if code, _, hdr := withSession(t, h, c).get("/console/postbacks"); !signedOut(code, hdr) {
			t.Fatalf("a cookie made of the session row's hash (%.6s...): %d, want the sign-in page", c, code)
		}
	}
	if strings.Contains(cc.sessionCookie(), idHash) || strings.Contains(cc.sessionCookie(), store.HashKey(h.key)) {
		t.Fatal("the cookie carries what the database holds")
	}
}

// A key's console session ends at once when it signs out (the cookie replayed
// is refused) and when the key is revoked.
func TestKeyConsoleSessionEndsOnSignOutAndRevocation(t *testing.T) {
	h := newHarness(t)
	key := h.keyOf("admin")
	cc := newConsoleClient(t, h)
	if code, _, _ := cc.post("/console/login", url.Values{"key": {key}}); code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", code)
	}
	cookie := cc.sessionCookie()
	if code, _, _ := withSession(t, h, cookie).get("/console/postbacks"); code != http.StatusOK {
		t.Fatalf("the session's cookie on another client: %d, want 200", code)
	}
	cc.post("/console/logout", url.Values{"csrf": {cc.csrf("/console/postbacks")}})
	if code, _, hdr := withSession(t, h, cookie).get("/console/postbacks"); !signedOut(code, hdr) {
		t.Fatalf("the cookie replayed after sign-out: %d, want the sign-in page", code)
	}

	cc = newConsoleClient(t, h)
	cc.post("/console/login", url.Values{"key": {key}})
	if code, _, _ := cc.get("/console/postbacks"); code != http.StatusOK {
		t.Fatalf("signed in again: %d", code)
	}
	k, err := h.st.AuthenticateKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := h.admin("DELETE", "/keys/"+strconv.FormatInt(k.ID, 10), ""); code != http.StatusNoContent {
		t.Fatalf("revoke the key: %d %v", code, body)
	}
	if code, _, hdr := cc.get("/console/postbacks"); !signedOut(code, hdr) {
		t.Fatalf("a revoked key's session: %d, want the sign-in page", code)
	}
}

// Sign-in takes a CSRF token, a small body, and is throttled per key prefix
// (or email) and per address.
func TestSignInCSRFBodyBoundAndThrottle(t *testing.T) {
	h := newHarness(t)
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := plain.PostForm(h.srv.URL+"/console/login", url.Values{"key": {h.key}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in without the form's CSRF token: %d, want 403", resp.StatusCode)
	}
	cc := newConsoleClient(t, h)
	if code, _, _ := cc.post("/console/login", url.Values{"key": {h.key}, "csrf": {strings.Repeat("0", 32)}}); code != http.StatusForbidden {
		t.Fatalf("sign-in with a made-up CSRF token: %d, want 403", code)
	}
	if code, _, _ := cc.post("/console/login", url.Values{"key": {strings.Repeat("k", 64<<10)}}); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 64 KiB sign-in body: %d, want 413", code)
	}
	// A wrong key shows the form again with a live token: the next try works.
	code, page, _ := cc.post("/console/login", url.Values{"key": {"cr_wrong"}})
	m := csrfField.FindStringSubmatch(page)
	if code != http.StatusUnauthorized || m == nil {
		t.Fatalf("a wrong key: %d, form token present %v", code, m != nil)
	}
	if code, _, _ := cc.post("/console/login", url.Values{"key": {h.key}, "csrf": {m[1]}}); code != http.StatusSeeOther {
		t.Fatalf("signing in from the form shown after a wrong key: %d, want 303", code)
	}

	// Per key prefix: the same key guessed again and again.
	h2 := newHarness(t)
	guesser := newConsoleClient(t, h2)
	last := 0
	for i := 0; i < 6; i++ {
		last, _, _ = guesser.post("/console/login", url.Values{"key": {"cr_sameprefix_" + strconv.Itoa(i)}})
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("sixth guess on one key prefix: %d, want 429", last)
	}
	// Per address: different keys and emails from one address.
	h3 := newHarness(t)
	addr := newConsoleClient(t, h3)
	for i := 0; i < 11; i++ {
		form := url.Values{"key": {strconv.Itoa(i) + "-different-key-prefix"}}
		if i%2 == 1 {
			form = url.Values{"email": {"p" + strconv.Itoa(i) + "@example.com"}, "password": {"wrong password"}}
		}
		last, _, _ = addr.post("/console/login", form)
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("eleventh attempt from one address: %d, want 429", last)
	}
}
