package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

func TestClaimWaitingInOrderOnce(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	var ids []int64
	for i := 0; i < 5; i++ {
		ids = append(ids, insertAccepted(t, st, a.ID, "T"))
	}
	got, err := st.ClaimWaiting(ctx, time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("claimed %d, want 5", len(got))
	}
	for i, u := range got {
		if u.ID != ids[i] || u.TransactionID != "T" || u.AccountID != a.ID {
			t.Fatalf("claim %d = %+v, want id %d of T", i, u, ids[i])
		}
	}
	again, err := st.ClaimWaiting(ctx, time.Minute, 100)
	if err != nil || len(again) != 0 {
		t.Fatalf("second claim = %d rows, %v; want none", len(again), err)
	}
	if err := st.MarkDispatched(ctx, ids); err != nil {
		t.Fatal(err)
	}
	n, _, err := st.BacklogStats(ctx)
	if err != nil || n != 0 {
		t.Fatalf("backlog = %d, %v; want 0", n, err)
	}
	inFlight, err := st.InFlight(ctx, time.Minute)
	if err != nil || inFlight != 5 {
		t.Fatalf("in flight = %d, %v; want 5 handed over and not applied", inFlight, err)
	}
}

// One account's burst must not queue another account's postback behind it.
func TestClaimWaitingIsFairAcrossAccounts(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	busy, quiet := newAccount(t, st), newAccount(t, st)
	for i := 0; i < 40; i++ {
		insertAccepted(t, st, busy.ID, "B")
	}
	late := insertAccepted(t, st, quiet.ID, "Q")
	got, err := st.ClaimWaiting(ctx, time.Minute, 4)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, w := range got {
		found = found || w.ID == late
	}
	if len(got) != 4 || !found {
		t.Fatalf("claimed %+v, want 4 rows including the quiet account's %d", got, late)
	}
}

func TestDeferredRowWaitsItsBackoff(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	id := insertAccepted(t, st, a.ID, "T")
	if _, err := st.ClaimWaiting(ctx, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if err := st.Defer(ctx, []int64{id}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := st.ClaimWaiting(ctx, time.Minute, 10); err != nil || len(got) != 0 {
		t.Fatalf("claim during backoff = %+v, %v; want nothing", got, err)
	}
	if err := st.Defer(ctx, []int64{id}, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	got, err := st.ClaimWaiting(ctx, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("claim after backoff = %+v, %v; want the row with 2 attempts", got, err)
	}
}

// A replica that died with rows claimed (picked or not) loses them after staleAfter.
func TestStaleClaimsAreTakenOver(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	dead := *st
	dead.Instance = "dead-replica"
	e := &store.LogEntry{AccountID: a.ID, Integration: "pb", Method: "GET", Path: "/pb", ReceivedAt: time.Now(),
		Canonical: []byte(`{}`), WorkflowID: "conv/" + a.ID + "/X", Outcome: "accepted"}
	if err := dead.InsertLog(ctx, e); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.ClaimWaiting(ctx, time.Hour, 10); len(got) != 0 {
		t.Fatalf("another live replica's fresh claim was taken: %+v", got)
	}
	time.Sleep(1100 * time.Millisecond)
	got, err := st.ClaimWaiting(ctx, time.Second, 10)
	if err != nil || len(got) != 1 || got[0].ID != e.ID {
		t.Fatalf("takeover = %+v, %v; want row %d", got, err, e.ID)
	}
	// Our own picked row whose hand-over never finished is claimable again too.
	time.Sleep(1100 * time.Millisecond)
	got, err = st.ClaimWaiting(ctx, time.Second, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("own stale pick = %+v, %v; want it again", got, err)
	}
}

func TestFailedPostbackIsVisibleAndRedriven(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	id := insertAccepted(t, st, a.ID, "T")
	if _, err := st.RetryFailed(ctx, a.ID, id); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("retry of an accepted postback = %v, want ErrConflict", err)
	}
	if err := st.MarkFailed(ctx, id, store.FailedInvalidData, "value out of range"); err != nil {
		t.Fatal(err)
	}
	e, err := st.GetLog(ctx, a.ID, id)
	if err != nil || e.Outcome != "failed" || e.FailedReason != store.FailedInvalidData || e.Error != "value out of range" {
		t.Fatalf("failed row = %+v, %v", e, err)
	}
	counts, err := st.FailedCounts(ctx)
	if err != nil || counts[store.FailedInvalidData] != 1 {
		t.Fatalf("failed counts = %v, %v", counts, err)
	}
	if got, _ := st.ClaimWaiting(ctx, time.Minute, 10); len(got) != 0 {
		t.Fatalf("a failed row was claimed: %+v", got)
	}
	other := newAccount(t, st)
	if _, err := st.RetryFailed(ctx, other.ID, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("retry from another account = %v, want ErrNotFound", err)
	}
	e, err = st.RetryFailed(ctx, a.ID, id)
	if err != nil || e.Outcome != "accepted" || e.Error != "" {
		t.Fatalf("retried = %+v, %v", e, err)
	}
	if got, _ := st.ClaimWaiting(ctx, time.Minute, 10); len(got) != 1 || got[0].ID != id {
		t.Fatalf("re-driven row not claimable: %+v", got)
	}
}

func TestReconcileHandsOverRowsNotApplied(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	lost := insertAccepted(t, st, a.ID, "L")
	applied := insertAccepted(t, st, a.ID, "A")
	if _, err := st.ClaimWaiting(ctx, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkDispatched(ctx, []int64{lost, applied}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Record(ctx, store.RecordParams{PostbackID: applied, AccountID: a.ID, TxKey: "A", EventName: "Lead", Currency: "USD",
		ConvertedAt: time.Now(), Decision: conv.Decision{Apply: true, To: conv.StatusApproved, Value: decimal.RequireFromString("1")}}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Reconcile(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("reconcile of fresh rows = %d, %v; want 0", n, err)
	}
	time.Sleep(1100 * time.Millisecond)
	n, err := st.Reconcile(ctx, time.Second)
	if err != nil || n != 1 {
		t.Fatalf("reconcile = %d, %v; want 1 (the unapplied row)", n, err)
	}
	got, err := st.ClaimWaiting(ctx, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].ID != lost {
		t.Fatalf("after reconcile claim = %+v, %v; want %d", got, err, lost)
	}
	count, oldest, err := st.UnappliedStats(ctx)
	if err != nil || count != 1 || oldest <= 0 {
		t.Fatalf("unapplied = %d, %v, %v; want 1 with an age", count, oldest, err)
	}
}

// Every amount the parser accepts (|v| < 10^15) fits the money columns.
func TestLargestAcceptedValueIsRecorded(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	id := insertAccepted(t, st, a.ID, "BIG")
	v := decimal.RequireFromString("999999999999999.999999")
	res, err := st.Record(ctx, store.RecordParams{PostbackID: id, AccountID: a.ID, TxKey: "BIG", EventName: "Purchase", Currency: "USD",
		ConvertedAt: time.Now(), Decision: conv.Decision{Apply: true, To: conv.StatusApproved, Value: v}})
	if err != nil {
		t.Fatalf("record %s: %v", v, err)
	}
	if !res.State.Value.Equal(v) {
		t.Fatalf("recorded %s, want %s", res.State.Value, v)
	}
}

// A later postback of a transaction is never claimed while an earlier one waits
// out a longer backoff (the temporal-outage drill once applied a rejection before
// the approval it reversed).
func TestLaterPostbackWaitsForEarlierOfSameTransaction(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	first := insertAccepted(t, st, a.ID, "T")
	second := insertAccepted(t, st, a.ID, "T")
	other := insertAccepted(t, st, a.ID, "U")
	if _, err := st.ClaimWaiting(ctx, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if err := st.Defer(ctx, []int64{first}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.Defer(ctx, []int64{second, other}, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	got, err := st.ClaimWaiting(ctx, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != other {
		t.Fatalf("claimed %+v, want only the other transaction's %d (not %d before %d)", got, other, second, first)
	}
}

// A later postback of a transaction is not claimed while an earlier one is held
// by a live claim (a lane is still handing it over): the temporal-outage drill
// once applied a later approval before an earlier one when a lane reached the
// later row after the earlier row's backoff but before its next claim. An
// earlier row that is claimable comes in the same claim, first.
func TestLaterPostbackWaitsWhileEarlierIsHeld(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	first := insertAccepted(t, st, a.ID, "T")
	got, err := st.ClaimWaiting(ctx, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].ID != first {
		t.Fatalf("first claim = %+v, %v; want %d", got, err, first)
	}
	second := insertAccepted(t, st, a.ID, "T")
	other := insertAccepted(t, st, a.ID, "U")
	got, err = st.ClaimWaiting(ctx, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].ID != other {
		t.Fatalf("claim while %d is held = %+v, %v; want only %d", first, got, err, other)
	}
	// The earlier row's claim goes stale (its holder died): both come back together, in order.
	got, err = st.ClaimWaiting(ctx, 0, 10)
	if err != nil || len(got) < 2 || got[0].ID != first || got[1].ID != second {
		t.Fatalf("claim after the hold went stale = %+v, %v; want %d then %d", got, err, first, second)
	}
	if err := st.MarkDispatched(ctx, []int64{first}); err != nil {
		t.Fatal(err)
	}
	if err := st.Defer(ctx, []int64{second}, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	got, err = st.ClaimWaiting(ctx, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].ID != second {
		t.Fatalf("claim once %d was handed over = %+v, %v; want %d", first, got, err, second)
	}
}
