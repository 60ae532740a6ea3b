package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/store"
)

// Public campaign ids are not guessable: the click URL carries the campaign's
// random slug; its numeric id (or a made-up slug, or odd bytes) is 404 and
// records nothing.
func TestGuessedCampaignIDIsRefused(t *testing.T) {
	h := newHarness(t)
	id := h.createCampaign(`{"name":"secret offer","offer_url":"https://offer.example/?c={click_id}"}`)
	cp, err := h.st.GetCampaign(context.Background(), h.account.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) int {
		t.Helper()
		req, err := http.NewRequest("GET", h.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, guess := range []string{strconv.FormatInt(id, 10), "1", "2", "00000000000000000000000000000001",
		"ffffffffffffffffffffffffffffffff", "%00", "%FF", "a%C3", cp.Slug + "%00", "%2e%2e"} {
		if code := get("/c/" + guess); code != http.StatusNotFound {
			t.Fatalf("GET /c/%s: %d, want 404", guess, code)
		}
	}
	if n := countClicks(t, h.st, h.account.ID); n != 0 {
		t.Fatalf("%d clicks recorded by guesses, want 0", n)
	}
	if code := get("/c/" + cp.Slug); code != http.StatusFound {
		t.Fatalf("GET /c/{slug}: %d, want 302", code)
	}
}

func countClicks(t *testing.T, st *store.Store, account string) int {
	t.Helper()
	var n int
	if err := st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM clicks WHERE account_id = $1`, account).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The click redirect is rate limited per address and per campaign.
func TestClickRedirectRateLimits(t *testing.T) {
	t.Run("per address", func(t *testing.T) {
		h := newHarness(t, func(c *config.Config) { c.RateLimitClickIPRPS, c.RateLimitClickIPBurst = 0.01, 3 })
		a := h.createCampaign(`{"name":"a","offer_url":"https://offer.example/?c={click_id}"}`)
		b := h.createCampaign(`{"name":"b","offer_url":"https://offer.example/?c={click_id}"}`)
		for i := 0; i < 3; i++ {
			h.redirect(h.hit(a, "sub1=x"))
		}
		if resp := h.hit(b, "sub1=x"); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("fourth click from one address: %d, want 429 with Retry-After", resp.StatusCode)
		}
	})
	t.Run("per campaign", func(t *testing.T) {
		h := newHarness(t, func(c *config.Config) {
			c.RateLimitClickIPRPS = 0
			c.RateLimitClickCampaignRPS, c.RateLimitClickCampaignBurst = 0.01, 2
		})
		a := h.createCampaign(`{"name":"a","offer_url":"https://offer.example/?c={click_id}"}`)
		b := h.createCampaign(`{"name":"b","offer_url":"https://offer.example/?c={click_id}"}`)
		h.redirect(h.hit(a, ""))
		h.redirect(h.hit(a, ""))
		if resp := h.hit(a, ""); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("third click on one campaign: %d, want 429", resp.StatusCode)
		}
		h.redirect(h.hit(b, "")) // another campaign is not limited by the first
	})
}
