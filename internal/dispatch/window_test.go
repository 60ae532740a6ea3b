package dispatch_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/dispatch"
	"github.com/convrelay/convrelay/internal/pgtest"
)

// Only a window of postbacks is handed over and not yet applied, whatever waits
// behind it; each one applied makes room for one more. A hand-over must keep its
// place in the window until the log counts it in flight, or a sweep in between
// claims past the window.
func TestHandOversStayWithinTheWindow(t *testing.T) {
	st := pgtest.NewStore(t)
	account := newAccount(t, st, "window")
	for i := range 6 {
		acceptedRow(t, st, account, "W"+strconv.Itoa(i))
	}
	fake := &fakeTemporal{} // accepts every hand-over; nothing is applied unless the test says so
	d := dispatch.New(st, fake, dispatch.Options{Window: 2, Shards: 4, PollInterval: 10 * time.Millisecond})
	runUntilTestEnds(t, d)

	expect := func(want int) []int64 {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for len(fake.seen()) < want && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond) // fifty sweeps: time to overshoot
		got := fake.seen()
		if len(got) != want {
			t.Fatalf("handed over %v; want %d with a window of 2", got, want)
		}
		return got
	}
	got := expect(2)
	markApplied(t, st, got[0])
	expect(3)
}

// A hand-over Temporal refuses goes back to the log and gives its place in the
// window back: kept, a window of one would stay full for good after one refusal.
func TestRefusedHandOverGivesItsPlaceBack(t *testing.T) {
	st := pgtest.NewStore(t)
	account := newAccount(t, st, "refused")
	refused, other := acceptedRow(t, st, account, "R1"), acceptedRow(t, st, account, "R2")
	fake := &fakeTemporal{refuseOnce: map[int64]bool{refused: true}}
	d := dispatch.New(st, fake, dispatch.Options{Window: 1, Shards: 1, PollInterval: 10 * time.Millisecond})
	runUntilTestEnds(t, d)

	applied := map[int64]bool{}
	for deadline := time.Now().Add(10 * time.Second); len(applied) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("handed over %v; want %d (refused once) and %d, one at a time", fake.seen(), refused, other)
		}
		for _, id := range fake.seen() {
			if !applied[id] { // the workflow applies it: its place in the window is free
				markApplied(t, st, id)
				applied[id] = true
			}
		}
	}
}
