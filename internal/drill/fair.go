package drill

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/convrelay/convrelay/internal/subproc"
)

// fair bursts one account (FairBurst postbacks, as fast as 32 connections send
// them) while a quiet account sends its normal traffic, and measures the quiet
// account's time from accept to applied: the dispatcher's window and its
// per-account turns must keep it within FairBound, however large the burst.
func fair(ctx context.Context, s *Stack, c Config) Result {
	const name = "fair"
	start := time.Now()
	e, err := newEnv(ctx, s, name, 0)
	if err != nil {
		return setupFailed(name, err)
	}
	defer e.close()
	busy, err := s.openAccount(ctx, "drill fair burst")
	if err != nil {
		return setupFailed(name, err)
	}
	burst := newSender(s.APIBase + "/" + busy.ID + "/collect/" + integrationSlug)
	ld := e.startLoad(ctx, c.FairQuietRate, func(i int) txPlan { return mixPlan("FA", i, e.click(i)) })
	burstStart := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				q := url.Values{"click_id": {"burst"}, "transaction_id": {fmt.Sprintf("BURST-%d", i)}, "commission": {"1"}, "status": {"approved"}}
				for attempt := 0; attempt < 100 && ctx.Err() == nil; attempt++ {
					code, _, err := burst.once(ctx, burst.url+"?"+q.Encode())
					if err == nil && code == http.StatusOK {
						burst.accepted.Add(1)
						break
					}
					_ = subproc.Sleep(ctx, 100*time.Millisecond)
				}
			}
		}()
	}
	progress := time.NewTicker(5 * time.Second)
	for i := 0; i < c.FairBurst && ctx.Err() == nil; i++ {
		select {
		case next <- i:
		case <-progress.C:
			e.step("burst: %d/%d accepted", burst.accepted.Load(), c.FairBurst)
			next <- i
		}
	}
	progress.Stop()
	close(next)
	wg.Wait()
	e.step("burst of %d accepted in %s", burst.accepted.Load(), time.Since(burstStart).Round(time.Millisecond))
	// The quiet account keeps sending while the burst drains.
	_ = subproc.Sleep(ctx, c.Tail)
	plans, loadErr := ld.stop()
	r := e.verify(ctx, plans, drainTimeout(0)+time.Duration(c.FairBurst)*50*time.Millisecond, c.Quiet)
	finish(&r, e, s, plans, loadErr)
	if n := burst.accepted.Load(); n != int64(c.FairBurst) {
		r.problem("burst: %d of %d postbacks accepted", n, c.FairBurst)
	}
	// Wait for the burst itself to be applied.
	deadline := time.Now().Add(drainTimeout(0) + time.Duration(c.FairBurst)*50*time.Millisecond)
	lastLine := time.Now()
	for {
		unapplied, failed, err := unappliedOf(ctx, busy)
		if err == nil && time.Since(lastLine) >= 10*time.Second {
			e.step("burst: %d of %d postbacks still to apply", unapplied, c.FairBurst)
			lastLine = time.Now()
		}
		if err == nil && unapplied == 0 {
			if failed > 0 {
				r.problem("burst account: %d postbacks failed", failed)
			}
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.problem("burst account: %d postbacks not applied %s after the burst", unapplied, time.Since(burstStart).Round(time.Second))
			break
		}
		_ = subproc.Sleep(ctx, 2*time.Second)
	}
	burstDone := time.Since(burstStart)
	lat, err := applyLatencies(ctx, e.acct, burstStart, burstStart.Add(burstDone))
	if err != nil {
		r.problem("quiet account's log: %v", err)
	} else if len(lat) > 0 {
		p50, p99, worst := lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)], lat[len(lat)-1]
		verdict := "within"
		if p99 > c.FairBound {
			verdict = "OVER"
			if c.FairStrict {
				r.problem("quiet account p99 accept->applied %s over the bound %s", p99, c.FairBound)
			}
		}
		r.Notes = append(r.Notes, fmt.Sprintf("burst of %d applied in %s; quiet account accept->applied during it: %d postbacks, p50 %s, p99 %s, max %s (%s the bound %s)",
			c.FairBurst, burstDone.Round(time.Second), len(lat), p50.Round(time.Millisecond), p99.Round(time.Millisecond),
			worst.Round(time.Millisecond), verdict, c.FairBound))
	}
	r.Took = time.Since(start)
	return r
}

// applyLatencies lists, sorted, accept-to-applied times of an account's
// postbacks received between from and to.
func applyLatencies(ctx context.Context, a *account, from, to time.Time) ([]time.Duration, error) {
	var out []time.Duration
	cursor := ""
	for {
		var page struct {
			Postbacks []struct {
				ReceivedAt  time.Time  `json:"received_at"`
				ProcessedAt *time.Time `json:"processed_at"`
			} `json:"postbacks"`
			Next *string `json:"next_cursor"`
		}
		if err := a.admin(ctx, "GET", "/postbacks?limit=500"+cursor, nil, http.StatusOK, &page); err != nil {
			return nil, err
		}
		for _, p := range page.Postbacks {
			if p.ProcessedAt != nil && !p.ReceivedAt.Before(from) && !p.ReceivedAt.After(to) {
				out = append(out, p.ProcessedAt.Sub(p.ReceivedAt))
			}
		}
		if page.Next == nil {
			break
		}
		cursor = "&cursor=" + *page.Next
	}
	slices.Sort(out)
	return out, nil
}
