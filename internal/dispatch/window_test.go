package dispatch_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/dispatch"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// Only a window of postbacks is handed over and not yet applied, whatever waits
// behind it; each one applied makes room for one more. A hand-over must keep its
// place in the window until the log counts it in flight, or a sweep in between
// claims past the window.
func TestHandOversStayWithinTheWindow(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a, _, err := st.CreateAccount(ctx, store.Account{Name: "window", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		acceptedRow(t, st, a.ID, "W"+strconv.Itoa(i))
	}
	fake := &fakeTemporal{} // accepts every hand-over; nothing is applied unless the test says so
	d := dispatch.New(st, fake, dispatch.Options{Window: 2, Shards: 4, PollInterval: 10 * time.Millisecond})
	runCtx, stop := context.WithCancel(ctx)
	finished := make(chan struct{})
	go func() { _ = d.Run(runCtx); close(finished) }()
	defer func() { stop(); <-finished }()

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
	if _, err := st.Pool.Exec(ctx, `UPDATE postback_log SET processed_at = now() WHERE id = $1`, got[0]); err != nil {
		t.Fatal(err)
	}
	expect(3)
}

// A hand-over Temporal refuses goes back to the log and gives its place in the
// window back: kept, a window of one would stay full for good after one refusal.
func TestRefusedHandOverGivesItsPlaceBack(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a, _, err := st.CreateAccount(ctx, store.Account{Name: "refused", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	refused, other := acceptedRow(t, st, a.ID, "R1"), acceptedRow(t, st, a.ID, "R2")
	fake := &fakeTemporal{refuseOnce: map[int64]bool{refused: true}}
	d := dispatch.New(st, fake, dispatch.Options{Window: 1, Shards: 1, PollInterval: 10 * time.Millisecond})
	runCtx, stop := context.WithCancel(ctx)
	finished := make(chan struct{})
	go func() { _ = d.Run(runCtx); close(finished) }()
	defer func() { stop(); <-finished }()

	applied := map[int64]bool{}
	for deadline := time.Now().Add(10 * time.Second); len(applied) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("handed over %v; want %d (refused once) and %d, one at a time", fake.seen(), refused, other)
		}
		for _, id := range fake.seen() {
			if !applied[id] { // the workflow applies it: its place in the window is free
				if _, err := st.Pool.Exec(ctx, `UPDATE postback_log SET processed_at = now() WHERE id = $1`, id); err != nil {
					t.Fatal(err)
				}
				applied[id] = true
			}
		}
	}
}
