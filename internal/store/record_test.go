package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

func newAccount(t *testing.T, st *store.Store) store.Account {
	t.Helper()
	a, key, err := st.CreateAccount(context.Background(), store.Account{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.AccountForKey(context.Background(), key)
	if err != nil || got != a.ID {
		t.Fatalf("AccountForKey = %q, %v; want %q", got, err, a.ID)
	}
	return a
}

func insertAccepted(t *testing.T, st *store.Store, account, tx string) int64 {
	t.Helper()
	e := &store.LogEntry{AccountID: account, Integration: "pb", Method: "GET", Path: "/pb", ReceivedAt: time.Now(),
		Canonical: []byte(`{"transaction_id":"` + tx + `"}`), TransactionID: tx, WorkflowID: "conv/" + account + "/" + tx, Outcome: "accepted"}
	if err := st.InsertLog(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func TestRecordIsIdempotentPerPostback(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	dest, err := st.CreateDestination(ctx, store.Destination{AccountID: a.ID, Type: "webhook", Name: "hook", Enabled: true,
		Config: map[string]string{"url": "http://127.0.0.1:1/x", "secret": "s"}})
	if err != nil {
		t.Fatal(err)
	}
	id := insertAccepted(t, st, a.ID, "T1")
	p := store.RecordParams{PostbackID: id, AccountID: a.ID, TxKey: "T1", TransactionID: "T1", EventName: "Purchase",
		Currency: "USD", ConvertedAt: time.Now(),
		Decision: conv.Decision{Apply: true, From: conv.StatusNone, To: conv.StatusApproved, Value: decimal.RequireFromString("4.99")}}
	first, err := st.Record(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Deliveries) != 1 || first.Deliveries[0].DestinationID != dest.ID {
		t.Fatalf("deliveries = %+v, want one to destination %d", first.Deliveries, dest.ID)
	}
	again, err := st.Record(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if again.State.ConversionID != first.State.ConversionID || len(again.Deliveries) != 1 || again.Deliveries[0].ID != first.Deliveries[0].ID {
		t.Fatalf("retried record = %+v, want the first result %+v", again, first)
	}
	c, err := st.GetConversion(ctx, a.ID, first.State.ConversionID)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.History) != 1 || !c.Value.Equal(decimal.RequireFromString("4.99")) || c.Status != "approved" {
		t.Fatalf("conversion = %+v, want approved 4.99 with one history entry", c)
	}

	// A rejection soft-deletes, keeps history, and sends the webhook a reversal.
	id2 := insertAccepted(t, st, a.ID, "T1")
	p.PostbackID = id2
	p.Decision = conv.Decision{Apply: true, From: conv.StatusApproved, To: conv.StatusRejected, Value: decimal.Zero}
	rej, err := st.Record(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rej.Deliveries) != 1 || rej.Deliveries[0].Summary != "send reversal to webhook hook" {
		t.Fatalf("rejection deliveries = %+v, want one reversal", rej.Deliveries)
	}
	c, _ = st.GetConversion(ctx, a.ID, first.State.ConversionID)
	if c.DeletedAt == nil || len(c.History) != 2 {
		t.Fatalf("after rejection = %+v, want deleted with two history entries", c)
	}
}

func TestConversionCarriesSourceClickAndUnattributedReason(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	k, err := st.InsertClick(ctx, store.Click{AccountID: a.ID, SourceClick: store.SourceClick{ExternalID: "ext-1",
		GCLID: "gclid-1", TTCLID: "tt-1", IP: "203.0.113.9", UserAgent: "UA/1"}})
	if err != nil {
		t.Fatal(err)
	}
	base := store.RecordParams{AccountID: a.ID, EventName: "Lead", Currency: "USD", ConvertedAt: time.Now(),
		Decision: conv.Decision{Apply: true, To: conv.StatusApproved, Value: decimal.RequireFromString("1")}}

	p := base
	p.PostbackID, p.TxKey = insertAccepted(t, st, a.ID, "S1"), "S1"
	p.Attribution = conv.Attribution{Attributed: true, ClickID: k.ID, MatchedBy: "click_id"}
	res, err := st.Record(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.GetConversion(ctx, a.ID, res.State.ConversionID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Source == nil || c.Source.ExternalID != "ext-1" || c.Source.GCLID != "gclid-1" || c.Source.TTCLID != "tt-1" ||
		c.Source.IP != "203.0.113.9" || c.Source.UserAgent != "UA/1" {
		t.Fatalf("source = %+v, want the click's data", c.Source)
	}

	q := base
	q.PostbackID, q.TxKey = insertAccepted(t, st, a.ID, "S2"), "S2"
	q.Attribution = conv.Attribution{Reason: "No match found for click_id nope", ClickID: "nope"}
	res, err = st.Record(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	c, _ = st.GetConversion(ctx, a.ID, res.State.ConversionID)
	if c.Source != nil || c.Attributed || c.UnattributedReason != "No match found for click_id nope" {
		t.Fatalf("unattributed conversion = %+v", c)
	}
	rows, _ := st.ListLog(ctx, a.ID, store.LogFilter{TransactionID: "S2", Limit: 1})
	if len(rows) != 1 || rows[0].Note != "unattributed: No match found for click_id nope" {
		t.Fatalf("log note = %+v", rows)
	}
}
