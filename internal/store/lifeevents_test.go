package store_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// The sequence pending, approved 25, approved 30, rejected makes, per destination
// type and fire_on, exactly the deliveries the life-event policy says, each with
// its own idempotency key and the value of the change it carries.
func TestLifeEventsMakeTheDeliveriesThePolicySays(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	mk := func(typ, name string, cfg map[string]string, fireOn destinations.FireOn) int64 {
		d, err := st.CreateDestination(ctx, store.Destination{AccountID: a.ID, Type: typ, Name: name, Config: cfg, FireOn: fireOn, Enabled: true})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return d.ID
	}
	hook := mk("webhook", "hook", map[string]string{"url": "https://hooks.example/x"}, destinations.DefaultFireOn(destinations.TypeWebhook))
	ts := mk("postback", "source", map[string]string{"url": "https://ts.example/pb?tx={transaction_id}"}, destinations.DefaultFireOn(destinations.TypePostback))
	tsAll := mk("postback", "source-every-status", map[string]string{"url": "https://ts.example/pb?s={status}"},
		destinations.FireOnOf(destinations.LifeFirst, destinations.LifeApproved, destinations.LifeValueChange, destinations.LifeRejected))
	gads := mk("google_ads", "gads", map[string]string{"customer_id": "1234567890", "conversion_action": "111", "developer_token": "dev",
		"access_token": "ya29.token"}, destinations.DefaultFireOn(destinations.TypeGoogleAds))
	meta := mk("meta", "pixel", map[string]string{"pixel_id": "123", "access_token": "EAAB"}, destinations.DefaultFireOn(destinations.TypeMeta))

	steps := []conv.Decision{
		{Apply: true, From: conv.StatusNone, To: conv.StatusPending, Value: conv.PendingValue},
		{Apply: true, From: conv.StatusPending, To: conv.StatusApproved, Value: decimal.RequireFromString("25")},
		{Apply: true, From: conv.StatusApproved, To: conv.StatusApproved, Value: decimal.RequireFromString("30")},
		{Apply: true, From: conv.StatusApproved, To: conv.StatusRejected, Value: decimal.RequireFromString("30")},
	}
	var convID int64
	for _, d := range steps {
		id := insertAccepted(t, st, a.ID, "LIFE-1")
		res, err := st.Record(ctx, store.RecordParams{PostbackID: id, AccountID: a.ID, TxKey: "LIFE-1", TransactionID: "LIFE-1",
			EventName: "Purchase", Currency: "USD", ConvertedAt: time.Now(), Decision: d,
			Attribution: conv.Attribution{Attributed: true, ClickID: "gclid-click"}})
		if err != nil {
			t.Fatalf("record %s: %v", d.To, err)
		}
		convID = res.State.ConversionID
		// A retried record (same postback) makes nothing new.
		again, err := st.Record(ctx, store.RecordParams{PostbackID: id, AccountID: a.ID, TxKey: "LIFE-1", TransactionID: "LIFE-1",
			EventName: "Purchase", Currency: "USD", ConvertedAt: time.Now(), Decision: d})
		if err != nil || len(again.Deliveries) != len(res.Deliveries) {
			t.Fatalf("record retried: %d deliveries (%v), first time %d", len(again.Deliveries), err, len(res.Deliveries))
		}
	}
	ds, err := st.ListDeliveries(ctx, a.ID, store.DeliveryFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64][]string{}
	keys := map[string]bool{}
	for _, d := range ds {
		if d.ConversionID != convID {
			continue
		}
		got[d.DestinationID] = append(got[d.DestinationID], d.Kind)
		if keys[d.EventID] {
			t.Fatalf("two deliveries share the idempotency key %s", d.EventID)
		}
		keys[d.EventID] = true
	}
	want := map[int64]string{
		hook:  "conversion,conversion,conversion,reversal", // first (pending), approved, value change, rejection
		ts:    "conversion",                                // the approval only
		tsAll: "conversion,conversion,conversion,conversion",
		gads:  "conversion,restatement,retraction", // approved, then adjustments
		meta:  "conversion",                        // the first approval only: never a second conversion
	}
	for id, w := range want {
		kinds := got[id]
		sort.Strings(kinds)
		ws := strings.Split(w, ",")
		sort.Strings(ws)
		if strings.Join(kinds, ",") != strings.Join(ws, ",") {
			t.Errorf("destination %d got %v, want %v", id, got[id], w)
		}
	}
}
