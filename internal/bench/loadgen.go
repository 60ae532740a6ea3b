// Package bench measures Convrelay against the physical limits of its machine, all
// in one run: a raw durable insert, the real intake, the embedded Temporal
// server's ceiling for a trivial workflow and its floor for an empty one, the full
// path end to end as a burst (with its CPU cost per conversion) and at a steady
// rate, judged against issue 16's targets.
package bench

import (
	"context"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// LoadResult summarises one burst of requests.
type LoadResult struct {
	Requests   int           `json:"requests"`
	OK         int           `json:"ok"`
	Errors     int           `json:"errors"`
	Duration   time.Duration `json:"duration_ns"`
	PerSecond  float64       `json:"per_second"`
	P50        time.Duration `json:"p50_ns"`
	P99        time.Duration `json:"p99_ns"`
	FirstError string        `json:"first_error,omitempty"`
}

// Burst sends n requests built by mk over conns concurrent connections and
// measures throughput (successful answers per second) and latency.
func Burst(ctx context.Context, client *http.Client, conns, n int, mk func(i int) (*http.Request, error), ok func(*http.Response) bool) LoadResult {
	var next atomic.Int64
	lat := make([]time.Duration, n)
	var okCount, errCount atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	stopProgress := Progress("requests", n, func() int { return int(okCount.Load() + errCount.Load()) })
	defer stopProgress()
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				req, err := mk(i)
				if err != nil {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				t0 := time.Now()
				resp, err := client.Do(req.WithContext(ctx))
				if err != nil {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				if ok(resp) {
					okCount.Add(1)
				} else {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, "status "+resp.Status)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := LoadResult{Requests: n, OK: int(okCount.Load()), Errors: int(errCount.Load()), Duration: elapsed}
	r.PerSecond = float64(r.OK) / elapsed.Seconds()
	r.P50, r.P99 = percentiles(lat)
	if v, _ := firstErr.Load().(string); v != "" {
		r.FirstError = v
	}
	return r
}

// percentiles returns p50 and p99 of the non-zero durations.
// answeredOK is Burst's usual ok: the request was answered 200.
func answeredOK(r *http.Response) bool { return r.StatusCode == http.StatusOK }

// unattributedPostbacks makes Burst's requests: GET base?... with a click id no
// click recorded and the transaction ids prefix0, prefix1, ...
func unattributedPostbacks(base, prefix string) func(i int) (*http.Request, error) {
	return func(i int) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, base+"?click_id=abc&transaction_id="+prefix+strconv.Itoa(i)+"&commission=4.99", nil)
	}
}

func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	s := make([]time.Duration, 0, len(ds))
	for _, d := range ds {
		if d > 0 {
			s = append(s, d)
		}
	}
	if len(s) == 0 {
		return 0, 0
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)*50/100], s[min(len(s)-1, len(s)*99/100)]
}

// NewClient is an HTTP client that keeps one connection per concurrent sender.
func NewClient(conns int) *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, MaxConnsPerHost: conns * 2},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
