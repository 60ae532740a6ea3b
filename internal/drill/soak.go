package drill

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/convrelay/convrelay/internal/subproc"
)

// growthLimit is the growth between the soak's first and last readings that is
// flagged as not flat.
const growthLimit = 0.25

// Soak runs steady load for c.SoakWarmup + c.SoakFor, reads the API's and the
// worker's memory and goroutines (threads for the worker) after the warm-up and
// at the end, then checks every transaction like a drill.
func Soak(ctx context.Context, s *Stack, c Config) Result {
	const name = "soak"
	start := time.Now()
	e, err := newEnv(ctx, s, name, 0)
	if err != nil {
		return setupFailed(name, err)
	}
	defer e.close()
	e.step("%.0f transactions/s for %s after %s of warm-up", c.SoakRate, c.SoakFor, c.SoakWarmup)
	ld := e.startLoad(ctx, c.SoakRate, func(i int) txPlan { return mixPlan("SK", i, e.click(i)) })
	_ = subproc.Sleep(ctx, c.SoakWarmup)
	first, firstErr := s.settledUsage(ctx, 5)
	e.step("start: %s", first)
	var readings []usage
	for end := time.Now().Add(c.SoakFor); time.Now().Before(end) && ctx.Err() == nil; {
		_ = subproc.Sleep(ctx, min(time.Minute, time.Until(end)))
		if u, err := s.usage(ctx); err == nil {
			readings = append(readings, u)
			e.step("%d transactions started: %s", ld.started(), u)
		}
	}
	last, lastErr := s.settledUsage(ctx, 5)
	plans, loadErr := ld.stop()
	e.step("load stopped: %d transactions, %d postbacks accepted", len(plans), e.send.accepted.Load())
	r := e.verify(ctx, plans, drainTimeout(0), c.Quiet)
	finish(&r, e, s, plans, loadErr, firstErr, lastErr)
	if firstErr == nil && lastErr == nil {
		r.Notes = append(r.Notes, "start: "+first.String(), "end:   "+last.String())
		for _, g := range growth(first, last) {
			r.problem("not flat: %s", g)
		}
		// Growth that stopped (a cache filling up) reads differently from a leak.
		if len(readings) >= 4 {
			third := readings[len(readings)-len(readings)/3-1]
			late := growth(third, last)
			if len(late) == 0 {
				late = []string{"none over 25%"}
			}
			r.Notes = append(r.Notes, fmt.Sprintf("growth over the last third of the soak: %s", strings.Join(late, "; ")))
		}
	}
	r.Took = time.Since(start)
	return r
}

func (u usage) String() string {
	return fmt.Sprintf("api goroutines %.0f, heap in use %s, RSS %s; worker RSS %s, threads %.0f",
		u.APIGoroutines, mb(u.APIHeapInuse), mb(u.APIRSS), mb(u.WorkerRSS), u.WorkerThreads)
}

func mb(b float64) string { return fmt.Sprintf("%.1f MB", b/(1<<20)) }

// growth names the readings that grew more than growthLimit.
func growth(a, b usage) []string {
	var out []string
	for _, m := range []struct {
		name     string
		from, to float64
	}{
		{"api goroutines", a.APIGoroutines, b.APIGoroutines},
		{"api heap in use", a.APIHeapInuse, b.APIHeapInuse},
		{"api RSS", a.APIRSS, b.APIRSS},
		{"worker RSS", a.WorkerRSS, b.WorkerRSS},
		{"worker threads", a.WorkerThreads, b.WorkerThreads},
	} {
		if m.from > 0 && (m.to-m.from)/m.from > growthLimit {
			out = append(out, fmt.Sprintf("%s grew %.0f%% (%.4g -> %.4g)", m.name, 100*(m.to-m.from)/m.from, m.from, m.to))
		}
	}
	return out
}
