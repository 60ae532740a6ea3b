package bench

import (
	"context"
	"time"
)

// pacer spaces sends evenly at a fixed rate from a start, whatever each send
// takes: an open loop, as real traffic does not wait for the last answer. Send i
// is due at i/rate; a late loop sends at once to catch up rather than skip, which
// is why this is not a time.Ticker (a ticker drops ticks its reader misses and
// would quietly lower the rate).
type pacer struct {
	rate float64 // sends per second, > 0
}

// sends is how many sends fall in a window of d.
func (p pacer) sends(d time.Duration) int { return int(d.Seconds() * p.rate) }

// due is when send i is due, from the start.
func (p pacer) due(i int) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / p.rate)
}

// run calls launch(i) at the due time of each of n sends and returns the number
// launched, fewer than n if ctx ended. launch must not wait for the send: it
// starts it in a goroutine, or the loop would close.
func (p pacer) run(ctx context.Context, n int, launch func(i int)) int {
	start := time.Now()
	for i := 0; i < n; i++ {
		if wait := time.Until(start.Add(p.due(i))); wait > 0 {
			select {
			case <-ctx.Done():
				return i
			case <-time.After(wait):
			}
		}
		launch(i)
	}
	return n
}

// achievedRate is the rate the times (one per event, any order) were spread at:
// n events span n-1 intervals. Zero for fewer than two.
func achievedRate(times []time.Time) float64 {
	var first, last time.Time
	n := 0
	for _, t := range times {
		if t.IsZero() {
			continue
		}
		if n == 0 || t.Before(first) {
			first = t
		}
		if n == 0 || t.After(last) {
			last = t
		}
		n++
	}
	if n < 2 || !last.After(first) {
		return 0
	}
	return float64(n-1) / last.Sub(first).Seconds()
}
