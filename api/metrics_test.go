package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func scrape(t *testing.T, h *harness) string {
	t.Helper()
	resp, err := http.Get(h.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw)
}

func metricLine(body, prefix string) string {
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestMetricsCountExactlyThePostbacksSent scrapes /metrics after a handful of
// postbacks and finds the counters moved by exactly that many.
func TestMetricsCountExactlyThePostbacksSent(t *testing.T) {
	h := newHarness(t)
	h.integration("net", "custom", "")
	path := "/" + h.account.ID + "/collect/net"
	for i := 0; i < 3; i++ {
		if code, _ := h.do("GET", path+"?click_id=a&commission=1", "", ""); code != 200 {
			t.Fatalf("accepted postback answered %d", code)
		}
	}
	for i := 0; i < 2; i++ {
		if code, _ := h.do("GET", path+"?commission=1", "", ""); code != 422 {
			t.Fatalf("rejected postback answered %d", code)
		}
	}
	body := scrape(t, h)
	if got := metricLine(body, `convrelay_postbacks_total{integration="net",outcome="accepted"}`); !strings.HasSuffix(got, " 3") {
		t.Fatalf("accepted counter line %q, want 3", got)
	}
	if got := metricLine(body, `convrelay_postbacks_total{integration="net",outcome="rejected"}`); !strings.HasSuffix(got, " 2") {
		t.Fatalf("rejected counter line %q, want 2", got)
	}
	if got := metricLine(body, `convrelay_intake_duration_seconds_count{outcome="accepted"}`); !strings.HasSuffix(got, " 3") {
		t.Fatalf("intake histogram count %q, want 3", got)
	}
}

func TestHealthz(t *testing.T) {
	h := newHarness(t)
	if code, body := h.do("GET", "/healthz", "", ""); code != 200 || body["status"] != "ok" {
		t.Fatalf("healthz = %d %v", code, body)
	}
	if code, body := h.do("GET", "/readyz", "", ""); code != 200 || body["ready"] != true {
		t.Fatalf("readyz = %d %v", code, body)
	}
}
