package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/convrelay/convrelay/internal/config"
)

// A flood of tokenless requests from many addresses cannot fill the account's
// postback log: refused requests are stored as a short sample (a bound per
// account per minute) and counted by reason, while a network with the token
// still gets 200.
func TestTokenlessFloodFromOtherAddressesIsSampled(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.TrustedProxies = []string{"127.0.0.1/32"}
		c.RateLimitIPRPS, c.RateLimitIPBurst = 1, 5 // per address: each flood address stays under it
	})
	h.integration("net", "custom", `,"token":"net-token-0123456789abcdef"`)
	path := "/" + h.account.ID + "/collect/net?click_id=a&transaction_id=T"
	pad := "&x=" + strings.Repeat("p", 1500)
	for i := 0; i < 200; i++ {
		addr := "198.51.100." + strconv.Itoa(i%250+1)
		if i%2 == 1 {
			addr = "2001:db8:" + strconv.FormatInt(int64(i), 16) + "::1"
		}
		if code, _ := h.do("GET", path+strconv.Itoa(i)+pad, "", "", "X-Forwarded-For", addr); code != http.StatusForbidden {
			t.Fatalf("tokenless request %d from %s: %d, want 403", i, addr, code)
		}
	}
	if code, body := h.do("GET", path+"ok&token=net-token-0123456789abcdef", "", "", "X-Forwarded-For", "192.0.2.10"); code != http.StatusOK {
		t.Fatalf("the network with the token during the flood: %d %v, want 200", code, body)
	}
	rows := h.log()
	if len(rows) > 21 { // the bound (20) and the accepted postback
		t.Fatalf("%d log rows after 200 refused requests, want at most 20 refused and the accepted one", len(rows))
	}
	for _, r := range rows {
		if r.Outcome == "rejected" && len(r.RawQuery) > 1024 {
			t.Fatalf("a refused row keeps %d bytes of query, want at most 1024", len(r.RawQuery))
		}
	}
	// Old code has no refusal metric: the row bound above fails first.
	counted := testutil.ToFloat64(h.metrics.Refused.WithLabelValues("forbidden", "counted"))
	stored := testutil.ToFloat64(h.metrics.Refused.WithLabelValues("forbidden", "stored"))
	if counted+stored != 200 || counted < 180 {
		t.Fatalf("metric: %v counted, %v stored; want 200 refusals, at least 180 only counted", counted, stored)
	}
}
