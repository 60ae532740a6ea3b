package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// A delivery the API wrote (a backfill, a re-drive) awaits its workflow until an
// attempt starts; the reconciler's query finds it only after the age, notes the
// hand-over so the next sweep waits again, and never finds one started or ended.
func TestDeliveriesAwaitingTheirWorkflow(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	f := &backfillFixture{t: t, st: st, a: newAccount(t, st)}
	a := f.a
	f.record("AW-1", recordOpt{to: conv.StatusApproved, value: "7.5"})
	dest := f.destination("postback", map[string]string{"url": "https://ts.example/pb?tx={transaction_id}"},
		destinations.DefaultFireOn(destinations.TypePostback), true, nil)
	res, err := st.Backfill(ctx, store.BackfillParams{AccountID: a.ID, DestinationID: dest.ID, Since: time.Now().Add(-2 * time.Hour)})
	if err != nil || len(res.Created) != 1 {
		t.Fatalf("backfill: %v, %d created", err, len(res.Created))
	}
	id := res.Created[0].Ref.ID

	due := func(olderThan time.Duration) []store.DeliveryHandOver {
		t.Helper()
		list, err := st.AwaitingWorkflow(ctx, olderThan, 10)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	if got := due(time.Hour); len(got) != 0 {
		t.Fatalf("written just now, due after an hour: %v", got)
	}
	if n, _, err := st.AwaitingWorkflowStats(ctx); err != nil || n != 1 {
		t.Fatalf("awaiting stats: %d (%v), want 1", n, err)
	}
	got := due(0)
	if len(got) != 1 {
		t.Fatalf("due now: %d deliveries, want 1", len(got))
	}
	h := got[0]
	if h.AccountID != a.ID || h.TxKey != "AW-1" || h.Status != "approved" || h.TransactionID != "AW-1" || h.Ref.ID != id || h.Ref.DestinationID != dest.ID ||
		h.Ref.DestinationType != "postback" || !h.Value.Equal(decimal.RequireFromString("7.5")) || h.Currency != "USD" {
		t.Fatalf("hand-over %+v, want AW-1's (approved) delivery %d to postback %d at 7.5 USD", h, id, dest.ID)
	}
	if got := due(time.Minute); len(got) != 0 {
		t.Fatalf("handed over again just now, due again within a minute: %v", got)
	}
	if _, err := st.StartAttempt(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got := due(0); len(got) != 0 {
		t.Fatalf("an attempt started: still awaiting its workflow: %v", got)
	}
	if n, _, err := st.AwaitingWorkflowStats(ctx); err != nil || n != 0 {
		t.Fatalf("awaiting stats after an attempt started: %d (%v), want 0", n, err)
	}

	// A re-drive awaits the workflow again, until the delivery ends.
	if _, err := st.MarkDeliveryFailed(ctx, id, "refused"); err != nil {
		t.Fatal(err)
	}
	if got := due(0); len(got) != 0 {
		t.Fatalf("failed: awaiting its workflow: %v", got)
	}
	h, err = st.ReDrive(ctx, a.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if h.Ref.ID != id || h.AccountID != a.ID || h.TxKey == "" || h.Status == "" || h.TransactionID == "" || h.EventName == "" {
		t.Fatalf("re-drive hand-over %+v lacks the conversion's start attributes", h)
	}
	if _, err := st.ReDrive(ctx, a.ID, id); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second re-drive of a pending delivery: %v, want ErrConflict", err)
	}
	if _, err := st.ReDrive(ctx, "another-account", id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("re-drive from another account: %v, want ErrNotFound", err)
	}
	if got := due(0); len(got) != 1 || got[0].Ref.ID != id {
		t.Fatalf("re-driven: due %v, want delivery %d", got, id)
	}
	if err := st.MarkDelivered(ctx, id, 2, 200); err != nil {
		t.Fatal(err)
	}
	if got := due(0); len(got) != 0 {
		t.Fatalf("delivered: still awaiting its workflow: %v", got)
	}
}
