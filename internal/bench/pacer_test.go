package bench

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestPacerSchedule(t *testing.T) {
	p := pacer{rate: 20}
	if n := p.sends(15 * time.Second); n != 300 {
		t.Fatalf("15 s at 20/s: %d sends", n)
	}
	for i, want := range map[int]time.Duration{0: 0, 1: 50 * time.Millisecond, 20: time.Second, 299: 14950 * time.Millisecond} {
		if got := p.due(i); got != want {
			t.Errorf("due(%d) = %s, want %s", i, got, want)
		}
	}
}

// The loop is open: a send that never returns does not hold back the next.
func TestPacerDoesNotWaitForSends(t *testing.T) {
	p := pacer{rate: 200}
	block := make(chan struct{})
	defer close(block)
	var mu sync.Mutex
	var at []time.Time
	start := time.Now()
	n := p.run(context.Background(), 20, func(int) {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		go func() { <-block }()
	})
	if n != 20 || len(at) != 20 {
		t.Fatalf("launched %d (%d recorded), want 20", n, len(at))
	}
	if el := time.Since(start); el < 90*time.Millisecond {
		t.Fatalf("20 sends at 200/s took %s, want about 95 ms", el)
	}
	// Never above the rate (no send before its due time); below it only on a
	// machine too busy to wake the loop on time.
	if r := achievedRate(at); r < 20 || r > 200.5 {
		t.Fatalf("achieved %.0f/s, want about 200/s", r)
	}
}

func TestPacerStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if n := (pacer{rate: 100}).run(ctx, 1000, func(int) {}); n >= 1000 || n == 0 {
		t.Fatalf("launched %d of 1000 before the context ended", n)
	}
}

func TestAchievedRate(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	// Out of order and with a send that was never accepted (zero time).
	if r := achievedRate([]time.Time{at(1000), at(0), {}, at(500), at(2000)}); r != 1.5 {
		t.Fatalf("4 accepts over 2 s: %.2f/s, want 1.5", r)
	}
	if r := achievedRate([]time.Time{at(0)}); r != 0 {
		t.Fatalf("one accept: %.2f/s, want 0", r)
	}
}
