package api_test

import (
	"net/http"
	"testing"

	"github.com/convrelay/convrelay/internal/config"
)

// TestForgedForwardedForDoesNotPassAllowList pins CONVRELAY_TRUSTED_PROXIES: a
// client-supplied X-Forwarded-For (or X-Real-IP) naming an allowed address must
// not get a postback past an integration's allowed_cidrs unless the request
// really comes from a proxy the operator trusts. The test client connects from
// 127.0.0.1, outside the allow-list.
func TestForgedForwardedForDoesNotPassAllowList(t *testing.T) {
	allowed := `,"allowed_cidrs":["203.0.113.0/24"]`
	path := func(h *harness) string { return "/" + h.account.ID + "/collect/locked?click_id=a&commission=1" }

	t.Run("no trusted proxy", func(t *testing.T) {
		h := newHarnessWith(t, harnessOptions{config: func(c *config.Config) { c.TrustedProxies = nil }})
		h.integration("locked", "custom", allowed)
		for _, header := range []string{"X-Forwarded-For", "X-Real-IP"} {
			code, body := h.do("GET", path(h), "", "", header, "203.0.113.7")
			if code != http.StatusForbidden {
				t.Fatalf("forged %s from an untrusted peer answered %d %v, want 403", header, code, body)
			}
		}
		for _, r := range h.log() {
			if r.SourceIP != "127.0.0.1" {
				t.Fatalf("log records source %q, want the real peer 127.0.0.1", r.SourceIP)
			}
		}
	})

	t.Run("another proxy trusted", func(t *testing.T) {
		h := newHarnessWith(t, harnessOptions{config: func(c *config.Config) { c.TrustedProxies = []string{"10.0.0.0/8"} }})
		h.integration("locked", "custom", allowed)
		if code, body := h.do("GET", path(h), "", "", "X-Forwarded-For", "203.0.113.7"); code != http.StatusForbidden {
			t.Fatalf("forged X-Forwarded-For from a peer that is not the trusted proxy answered %d %v, want 403", code, body)
		}
	})

	t.Run("the peer is the trusted proxy", func(t *testing.T) {
		h := newHarnessWith(t, harnessOptions{config: func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1"} }})
		h.integration("locked", "custom", allowed)
		if code, body := h.do("GET", path(h), "", "", "X-Forwarded-For", "203.0.113.7"); code != http.StatusOK {
			t.Fatalf("X-Forwarded-For from the trusted proxy answered %d %v, want 200", code, body)
		}
		if code, _ := h.do("GET", path(h), "", "", "X-Forwarded-For", "198.51.100.1"); code != http.StatusForbidden {
			t.Fatalf("a client outside the allow-list behind the trusted proxy answered %d, want 403", code)
		}
	})
}
