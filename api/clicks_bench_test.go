package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convrelay/convrelay/api"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// BenchmarkClickRedirect drives GET /c/{campaign} on a real listener (real handler,
// real PostgreSQL) from 32 concurrent clients, b.N requests in all, and reports
// throughput and latency percentiles. Nothing is asserted beyond each answer being
// a 302. Run: go test -run '^$' -bench BenchmarkClickRedirect -benchtime 20000x ./api
func BenchmarkClickRedirect(b *testing.B) {
	const workers = 32
	ctx := context.Background()
	st := pgtest.NewStore(b)
	acct, _, err := st.CreateAccount(ctx, store.Account{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	cp, err := st.CreateCampaign(ctx, store.Campaign{AccountID: acct.ID,
		CampaignSettings: store.CampaignSettings{Name: "bench", TrafficSource: "meta",
			OfferURL: "https://offer.example.com/lp?cid={click_id}&ext={external_id}&s1={sub1}&s2={sub2}"}})
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		b.Fatal(err)
	}
	cfg.RateLimitClickIPRPS, cfg.RateLimitClickCampaignRPS = 0, 0 // the bench measures the redirect, not its limits
	srv := httptest.NewServer(api.NewHandler(api.Deps{Store: st, Config: cfg, Logger: slog.New(slog.DiscardHandler), Metrics: metrics.New()}))
	defer srv.Close()
	transport := &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := srv.URL + "/c/" + cp.Slug + "?external_id=ext&sub2=s%20two&fbclid=IwAR0bench&p=offer-1&sub1="

	var next atomic.Int64
	var failures atomic.Int64
	latencies := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			own := make([]time.Duration, 0, b.N/workers+1)
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					break
				}
				t0 := time.Now()
				resp, err := client.Get(base + strconv.FormatInt(i, 10))
				if err != nil {
					failures.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				own = append(own, time.Since(t0))
				if resp.StatusCode != http.StatusFound {
					failures.Add(1)
				}
			}
			latencies[w] = own
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed or did not answer 302", n, b.N)
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(0, "ns/op") // wall time per request across 32 clients says little; req/s does
}
