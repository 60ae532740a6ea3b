package dispatch_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/internal/dispatch"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/workflows"
)

// fakeTemporal answers SignalWithStart: it refuses some postbacks once (as a
// restarting server does), is slow for others, and records what it accepted.
type fakeTemporal struct {
	client.Client
	mu         sync.Mutex
	refuseOnce map[int64]bool
	slow       map[int64]time.Duration
	accepted   []int64
	memos      map[int64]map[string]any
}

func (f *fakeTemporal) SignalWithStartWorkflow(ctx context.Context, _ string, _ string, arg any,
	opts client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	id := arg.(workflows.PostbackSignal).PostbackID
	if err := ctx.Err(); err != nil {
		return nil, err // as the client does with a spent deadline
	}
	f.mu.Lock()
	refuse, wait := f.refuseOnce[id], f.slow[id]
	delete(f.refuseOnce, id)
	f.mu.Unlock()
	if refuse {
		return nil, serviceerror.NewUnavailable("server restarting")
	}
	time.Sleep(wait)
	f.mu.Lock()
	f.accepted = append(f.accepted, id)
	if f.memos == nil {
		f.memos = map[int64]map[string]any{}
	}
	f.memos[id] = opts.Memo
	f.mu.Unlock()
	return nil, nil
}

func (f *fakeTemporal) memo(id int64) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.memos[id]
}

func (f *fakeTemporal) seen() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.accepted)
}

// When an earlier postback's hand-over fails, a later postback of the same
// transaction in the same claim waits for it, even when the lane reaches the later
// one after the earlier one's backoff has passed (the temporal-outage drill once
// applied an approval of 185.18 before the earlier approval of 78.74 this way).
func TestLaterPostbackNeverOvertakesAFailedHandOver(t *testing.T) {
	st := pgtest.NewStore(t)
	account := newAccount(t, st, "order")
	earlier, other, later := acceptedRow(t, st, account, "T"), acceptedRow(t, st, account, "U"), acceptedRow(t, st, account, "T")
	fake := &fakeTemporal{
		refuseOnce: map[int64]bool{earlier: true},
		// Longer than the earlier row's first backoff (200 ms).
		slow: map[int64]time.Duration{other: 600 * time.Millisecond},
	}
	d := dispatch.New(st, fake, dispatch.Options{Shards: 1, PollInterval: 50 * time.Millisecond})
	runUntilTestEnds(t, d)

	deadline := time.Now().Add(20 * time.Second)
	for {
		got := fake.seen()
		if slices.Contains(got, earlier) && slices.Contains(got, later) {
			if slices.Index(got, later) < slices.Index(got, earlier) {
				t.Fatalf("handed over %v: postback %d reached the workflow before the earlier %d", got, later, earlier)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("handed over only %v; want %d and %d", got, earlier, later)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// acceptedRow writes an accepted postback of a transaction to the log, waiting
// for the dispatcher, and returns its id.
// runUntilTestEnds runs the dispatcher until the test ends, then stops it and
// waits for it to finish.
func runUntilTestEnds(t *testing.T, d *dispatch.Dispatcher) {
	ctx, stop := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() { _ = d.Run(ctx); close(finished) }()
	t.Cleanup(func() { stop(); <-finished })
}

// newAccount creates an account and returns its id.
func newAccount(t *testing.T, st *store.Store, name string) string {
	t.Helper()
	a, _, err := st.CreateAccount(context.Background(), store.Account{Name: name, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// markApplied records a postback applied, as its workflow would: its place in
// the window is free.
func markApplied(t *testing.T, st *store.Store, id int64) {
	t.Helper()
	if _, err := st.Pool.Exec(context.Background(), `UPDATE postback_log SET processed_at = now() WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
}

func acceptedRow(t *testing.T, st *store.Store, account, tx string) int64 {
	t.Helper()
	e := &store.LogEntry{AccountID: account, Integration: "pb", Method: "GET", Path: "/pb", ReceivedAt: time.Now(),
		Canonical: []byte(`{"transaction_id":"` + tx + `","status":"approved"}`), TransactionID: tx,
		WorkflowID: "conv/" + account + "/" + tx, Outcome: "accepted"}
	if err := st.InsertLog(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e.ID
}
