package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convrelay/convrelay/internal/store"
)

// SteadyResult is the pipeline under a fixed load below its maximum: the latency
// a conversion sees on an ordinary busy day, rather than at the back of a burst.
type SteadyResult struct {
	TargetRate        float64       `json:"target_conversions_per_second"`
	Rate              float64       `json:"achieved_conversions_per_second"`
	Window            time.Duration `json:"window_ns"`
	Conversions       int           `json:"conversions"`
	Postbacks         int           `json:"postbacks"`
	Deliveries        int           `json:"deliveries"`
	Drain             time.Duration `json:"drain_ns"` // last accept to last done
	P50               time.Duration `json:"p50_accept_to_done_ns"`
	P99               time.Duration `json:"p99_accept_to_done_ns"`
	DuplicateRequests int           `json:"duplicate_deliveries_seen"`
	CPU               CPUCost       `json:"cpu"`
}

// Steady sends fresh conversions of the end-to-end mix at rate per second for
// window, open loop, each conversion's postbacks in order (a second one once the
// first is accepted); then waits for the drain and reads accept-to-done latency.
func Steady(ctx context.Context, st *store.Store, apiBase, accountID string, rate float64, window time.Duration, conns int, meter CPUMeter) (SteadyResult, error) {
	res := SteadyResult{TargetRate: rate, Window: window}
	if rate <= 0 {
		return res, fmt.Errorf("steady: rate %.2f/s: the end-to-end rate it is derived from is missing", rate)
	}
	p := pacer{rate: rate}
	n := p.sends(window)
	if n < 2 {
		return res, fmt.Errorf("steady: %s at %.2f/s is %d conversions, too few to measure", window, rate, n)
	}
	f, err := newFixture(ctx, st, apiBase, accountID, "bench steady", n)
	if err != nil {
		return res, fmt.Errorf("steady: %w", err)
	}
	defer f.close()
	m := buildMix("STEADY-", n, f.clicks)
	res.Conversions, res.Postbacks = n, m.count()
	startID, err := lastPostbackID(ctx, st)
	if err != nil {
		return res, fmt.Errorf("steady: %w", err)
	}
	client := NewClient(conns)
	accepted := make([]time.Time, n) // when each conversion's first postback was accepted
	var sent, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	send := func(i int) {
		defer wg.Done()
		for k, q := range m.postbacks[i] {
			if err := post(ctx, client, f, q); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return // the later postback would overtake the lost one
			}
			if k == 0 {
				accepted[i] = time.Now()
			}
		}
	}
	stopProgress := progressEvery(func(elapsed time.Duration) string {
		got, _ := f.received()
		return fmt.Sprintf("%d/%d conversions sent, %.1f/s (target %.1f/s), %d/%d deliveries received",
			sent.Load(), n, float64(sent.Load())/elapsed.Seconds(), rate, got, m.deliveries)
	})
	cpu0, err := meter.Sample()
	if err != nil {
		stopProgress()
		return res, fmt.Errorf("steady: %w", err)
	}
	launched := p.run(ctx, n, func(i int) {
		sent.Add(1)
		wg.Add(1)
		go send(i)
	})
	wg.Wait()
	stopProgress()
	if launched < n {
		return res, fmt.Errorf("steady: stopped after %d of %d conversions: %w", launched, n, ctx.Err())
	}
	if k := failed.Load(); k > 0 {
		v, _ := firstErr.Load().(string)
		return res, fmt.Errorf("steady: %d conversions not accepted: %s", k, v)
	}
	res.Rate = achievedRate(accepted)
	if err := waitDrained(ctx, st, startID, res.Postbacks, m.deliveries, f); err != nil {
		return res, fmt.Errorf("steady: %w", err)
	}
	cpu1, err := meter.Sample()
	if err != nil {
		return res, fmt.Errorf("steady: %w", err)
	}
	res.CPU = cpuCost(cpu0, cpu1, n)
	time.Sleep(time.Second) // late duplicates, if any, would show up here
	res.Deliveries, res.DuplicateRequests = f.received()
	l, err := readLatencies(ctx, st, startID)
	if err != nil {
		return res, fmt.Errorf("steady: %w", err)
	}
	res.P50, res.P99, res.Drain = l.P50, l.P99, l.LastDone.Sub(l.LastIn)
	return res, nil
}

// post sends one postback and wants it accepted.
func post(ctx context.Context, client *http.Client, f *fixture, query string) error {
	req, err := f.request(query)
	if err != nil {
		return err
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New("status " + resp.Status)
	}
	return nil
}
