package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/store"
)

func TestIntakeRateLimitPerAddress(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.RateLimitIPRPS, c.RateLimitIPBurst = 0.01, 3 })
	h.integration("net", "custom", "")
	path := "/" + h.account.ID + "/collect/net?click_id=a&transaction_id=T"
	for i := 0; i < 3; i++ {
		if code, body := h.do("GET", path+strconv.Itoa(i), "", ""); code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d %v", i, code, body)
		}
	}
	req, _ := http.NewRequest("GET", h.srv.URL+path+"X", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || retry < 1 {
		t.Fatalf("past the rate: %d Retry-After %q, want 429 with a positive Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := len(h.log()); n != 3 {
		t.Fatalf("%d log rows, want 3: a limited request is not logged", n)
	}
}

func TestIntakeRateLimitPerAccount(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.RateLimitIPRPS = 0 // off: only the account bound applies
		c.RateLimitAccountRPS, c.RateLimitAccountBurst = 0.01, 2
	})
	h.integration("net", "custom", "")
	other, _, err := h.st.CreateAccount(context.Background(), store.Account{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.CreateIntegration(context.Background(), store.Integration{AccountID: other.ID, Slug: "net", Preset: "custom", Open: true}); err != nil {
		t.Fatal(err)
	}
	path := "/" + h.account.ID + "/collect/net?click_id=a"
	for i := 0; i < 2; i++ {
		if code, _ := h.do("GET", path, "", ""); code != http.StatusOK {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	if code, _ := h.do("GET", path, "", ""); code != http.StatusTooManyRequests {
		t.Fatalf("third request for the account: %d, want 429", code)
	}
	if code, _ := h.do("GET", "/"+other.ID+"/collect/net?click_id=a", "", ""); code != http.StatusOK {
		t.Fatalf("another account is not limited by the first: %d", code)
	}
}

// /pb learns its account from the token: the account's bound applies there too,
// once the account is known, and a refused request is not logged.
func TestIntakeRateLimitPerAccountOnGlobalPB(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.RateLimitIPRPS = 0 // off: only the account bound applies
		c.RateLimitAccountRPS, c.RateLimitAccountBurst = 0.01, 2
	})
	path := "/pb?hit=a&rev=1&token=" + url.QueryEscape(h.token("pb")) + "&tx=G"
	for i := 0; i < 2; i++ {
		if code, body := h.do("GET", path+strconv.Itoa(i), "", ""); code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d %v", i, code, body)
		}
	}
	resp, err := http.Get(h.srv.URL + path + "X")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || retry < 1 {
		t.Fatalf("past the account's rate on /pb: %d Retry-After %q, want 429 with a positive Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := len(h.log()); n != 2 {
		t.Fatalf("%d log rows, want 2: a limited request is not logged", n)
	}
	// The account-scoped path shares the bucket.
	if code, _ := h.do("GET", "/"+h.account.ID+"/pb?hit=a&rev=1&tx=G9&token="+url.QueryEscape(h.token("pb")), "", ""); code != http.StatusTooManyRequests {
		t.Fatalf("the account's own /pb after its bound is spent: %d, want 429", code)
	}
}

// Requests without the token do not spend the account's bound: a flood of them
// (each answered 403) leaves a network with the token answered 200. They stay
// bounded by the per-address limit.
func TestTokenlessFloodDoesNotSpendTheAccountBound(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.RateLimitIPRPS = 0 // off: only the account bound applies
		c.RateLimitAccountRPS, c.RateLimitAccountBurst = 0.01, 2
	})
	h.integration("net", "custom", `,"token":"net-token-0123456789abcdef"`)
	path := "/" + h.account.ID + "/collect/net?click_id=a&transaction_id=T"
	for i := 0; i < 10; i++ {
		for _, q := range []string{"", "&token=wrong"} {
			if code, _ := h.do("GET", path+strconv.Itoa(i)+q, "", ""); code != http.StatusForbidden {
				t.Fatalf("request %d without the token (%q): %d, want 403", i, q, code)
			}
		}
	}
	for i := 0; i < 2; i++ {
		if code, body := h.do("GET", path+"ok"+strconv.Itoa(i)+"&token=net-token-0123456789abcdef", "", ""); code != http.StatusOK {
			t.Fatalf("the network with the token after the flood: %d %v, want 200", code, body)
		}
	}
	// The account's bound still holds for requests that carry the token.
	if code, _ := h.do("GET", path+"over&token=net-token-0123456789abcdef", "", ""); code != http.StatusTooManyRequests {
		t.Fatalf("past the account's bound with the token: %d, want 429", code)
	}
}
