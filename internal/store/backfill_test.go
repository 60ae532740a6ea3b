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

// backfillFixture records conversions through the real record path.
type backfillFixture struct {
	t  *testing.T
	st *store.Store
	a  store.Account
}

type recordOpt struct {
	from, to   conv.Status
	value      string
	at         time.Time
	campaign   int64
	clickID    string
	suppressed bool
}

func (f *backfillFixture) record(tx string, o recordOpt) conv.RecordResult {
	f.t.Helper()
	if o.at.IsZero() {
		o.at = time.Now().Add(-time.Hour)
	}
	id := insertAccepted(f.t, f.st, f.a.ID, tx)
	res, err := f.st.Record(context.Background(), store.RecordParams{PostbackID: id, AccountID: f.a.ID, TxKey: tx, TransactionID: tx,
		EventName: "Purchase", Currency: "USD", ConvertedAt: o.at, DisablePostbacks: o.suppressed,
		Decision:    conv.Decision{Apply: true, From: o.from, To: o.to, Value: decimal.RequireFromString(o.value)},
		Attribution: conv.Attribution{Attributed: o.clickID != "", ClickID: o.clickID, CampaignID: o.campaign}})
	if err != nil {
		f.t.Fatalf("record %s: %v", tx, err)
	}
	return res
}

func (f *backfillFixture) destination(typ string, cfg map[string]string, fireOn destinations.FireOn, enabled bool, campaign *int64) store.Destination {
	f.t.Helper()
	d, err := f.st.CreateDestination(context.Background(), store.Destination{AccountID: f.a.ID, Type: typ, Name: typ + "-dest",
		Config: cfg, FireOn: fireOn, Enabled: enabled, CampaignID: campaign})
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// deliveriesOf lists the deliveries to one destination, by transaction id.
func (f *backfillFixture) deliveriesOf(destID int64) map[string][]store.Delivery {
	f.t.Helper()
	ds, err := f.st.ListDeliveries(context.Background(), f.a.ID, store.DeliveryFilter{DestinationID: destID, Limit: 500})
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string][]store.Delivery{}
	for _, d := range ds {
		out[d.TransactionID] = append(out[d.TransactionID], d)
	}
	return out
}

var googleCfg = map[string]string{"customer_id": "1234567890", "conversion_action": "111", "developer_token": "dev", "access_token": "ya29.t"}

// A backfill offers a destination each approved conversion of the window it
// does not have: not pending, rejected, older or other accounts' ones; not
// those the network suppressed, whose click is too old for the platform, or
// whose earlier delivery failed (re-drive those); and a repeat makes nothing.
func TestBackfillSelectsApprovedConversionsOfTheWindowOnce(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	f := &backfillFixture{t: t, st: st, a: newAccount(t, st)}
	other := &backfillFixture{t: t, st: st, a: newAccount(t, st)}
	now := time.Now()

	// Created disabled, so the conversions below make no live delivery to it.
	gads := f.destination("google_ads", googleCfg, destinations.DefaultFireOn(destinations.TypeGoogleAds), false, nil)
	f.record("A1", recordOpt{to: conv.StatusApproved, value: "25"})
	f.record("A2", recordOpt{from: "", to: conv.StatusPending, value: "0.01"})
	f.record("A2", recordOpt{from: conv.StatusPending, to: conv.StatusApproved, value: "40"}) // value as now: 40
	f.record("A3", recordOpt{to: conv.StatusApproved, value: "12.5", at: now.Add(-6 * 24 * time.Hour)})
	f.record("OLD", recordOpt{to: conv.StatusApproved, value: "9", at: now.Add(-10 * 24 * time.Hour)})
	f.record("PEND", recordOpt{to: conv.StatusPending, value: "0.01"})
	f.record("REJ", recordOpt{to: conv.StatusApproved, value: "8"})
	f.record("REJ", recordOpt{from: conv.StatusApproved, to: conv.StatusRejected, value: "8"})
	f.record("SUPP", recordOpt{to: conv.StatusApproved, value: "7", suppressed: true})
	if _, err := st.Pool.Exec(ctx, `INSERT INTO clicks (id, account_id, created_at) VALUES ('old-click', $1, now() - interval '100 days')`, f.a.ID); err != nil {
		t.Fatal(err)
	}
	f.record("CLICK", recordOpt{to: conv.StatusApproved, value: "6", clickID: "old-click"})
	other.record("THEIRS", recordOpt{to: conv.StatusApproved, value: "5"})
	gads.Enabled = true
	if _, err := st.UpdateDestination(ctx, gads); err != nil {
		t.Fatal(err)
	}
	// Live deliveries: one the platform refused for good, one under way.
	failed := f.record("FAILED", recordOpt{to: conv.StatusApproved, value: "4"})
	if len(failed.Deliveries) != 1 {
		t.Fatalf("live deliveries of FAILED: %v", failed.Deliveries)
	}
	if _, err := st.MarkDeliveryFailed(ctx, failed.Deliveries[0].ID, "refused"); err != nil {
		t.Fatal(err)
	}
	f.record("LIVE", recordOpt{to: conv.StatusApproved, value: "3"})

	params := store.BackfillParams{AccountID: f.a.ID, DestinationID: gads.ID, Since: now.Add(-7 * 24 * time.Hour),
		ClickSince: now.Add(-90 * 24 * time.Hour), BatchSize: 2} // batches of 2: the cursor crosses batches
	res, err := st.Backfill(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	created := map[string]store.DeliveryHandOver{}
	for _, d := range res.Created {
		created[d.TxKey] = d
	}
	if res.Found != 7 || len(created) != 3 || res.AlreadyDelivered != 1 || res.SkippedSuppressed != 1 || res.SkippedClickTooOld != 1 ||
		res.SkippedFailed != 1 || res.SkippedFireOn != 0 {
		t.Fatalf("backfill = found %d, created %v, already %d, suppressed %d, click too old %d, failed %d, fire_on %d; "+
			"want 7 found (A1 A2 A3 SUPP CLICK FAILED LIVE and no other), A1 A2 A3 created, 1 of each skip",
			res.Found, created, res.AlreadyDelivered, res.SkippedSuppressed, res.SkippedClickTooOld, res.SkippedFailed, res.SkippedFireOn)
	}
	wantValue := map[string]string{"A1": "25", "A2": "40", "A3": "12.5"}
	logged := f.deliveriesOf(gads.ID)
	for tx, v := range wantValue {
		c, ok := created[tx]
		if !ok {
			t.Fatalf("%s not backfilled: %v", tx, created)
		}
		if !c.Value.Equal(decimal.RequireFromString(v)) || c.Ref.DestinationID != gads.ID || c.Ref.DestinationType != "google_ads" {
			t.Errorf("%s backfilled as %+v, want value %s to google_ads %d", tx, c, v, gads.ID)
		}
		ds := logged[tx]
		if len(ds) != 1 {
			t.Fatalf("%s has %d deliveries to the destination: %v", tx, len(ds), ds)
		}
		d := ds[0]
		wantKey := store.EventKey(f.a.ID, tx, gads.ID, destinations.KindConversion)
		if d.ID != c.Ref.ID || d.Origin != store.OriginBackfill || d.Kind != destinations.KindConversion || d.Status != "pending" ||
			d.EventID != wantKey {
			t.Errorf("%s delivery log = %+v, want pending origin backfill kind conversion with the live key %s", tx, d, wantKey)
		}
	}
	if d := logged["LIVE"]; len(d) != 1 || d[0].Origin != "live" {
		t.Errorf("the live delivery of LIVE = %+v, want one, origin live", d)
	}

	// The same backfill again makes nothing: each revision is delivered once.
	again, err := st.Backfill(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if again.Found != 7 || len(again.Created) != 0 || again.AlreadyDelivered != 4 {
		t.Fatalf("repeated backfill: found %d, created %d, already %d; want 7, 0, 4", again.Found, len(again.Created), again.AlreadyDelivered)
	}
	if n := len(f.deliveriesOf(gads.ID)["A1"]); n != 1 {
		t.Fatalf("A1 has %d deliveries after a repeated backfill, want 1", n)
	}

	// A wider window reaches OLD (10 days), still nothing twice.
	params.Since = now.Add(-30 * 24 * time.Hour)
	wider, err := st.Backfill(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if len(wider.Created) != 1 || wider.Created[0].TxKey != "OLD" {
		t.Fatalf("30-day backfill created %v, want only OLD", wider.Created)
	}

	// The backfilled conversion lives on: a new value is a value change to
	// the destination that now holds it (a Google restatement at 30).
	f.record("A1", recordOpt{from: conv.StatusApproved, to: conv.StatusApproved, value: "30"})
	ds := f.deliveriesOf(gads.ID)["A1"]
	if len(ds) != 2 || ds[0].Kind != destinations.KindRestatement || ds[0].Origin != "live" {
		t.Fatalf("A1 after approved 30: %+v, want the backfilled upload and a live restatement", ds)
	}
}

// A destination whose fire_on takes neither approved nor first is offered the
// conversions and takes none; a campaign's destination is offered only its
// campaign's; a disabled or unknown destination is refused.
func TestBackfillFollowsFireOnCampaignAndState(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	f := &backfillFixture{t: t, st: st, a: newAccount(t, st)}
	camp, err := st.CreateCampaign(ctx, store.Campaign{AccountID: f.a.ID, CampaignSettings: store.CampaignSettings{Name: "c",
		OfferURL: "https://offer.example/"}})
	if err != nil {
		t.Fatal(err)
	}
	f.record("IN", recordOpt{to: conv.StatusApproved, value: "10", campaign: camp.ID, clickID: "k1"})
	f.record("OUT", recordOpt{to: conv.StatusApproved, value: "11"})
	since := time.Now().Add(-24 * time.Hour)

	rejectsOnly := f.destination("postback", map[string]string{"url": "https://ts.example/pb?tx={transaction_id}"},
		destinations.FireOnOf(destinations.LifeValueChange, destinations.LifeRejected), true, nil)
	res, err := st.Backfill(ctx, store.BackfillParams{AccountID: f.a.ID, DestinationID: rejectsOnly.ID, Since: since})
	if err != nil {
		t.Fatal(err)
	}
	if res.Found != 2 || res.SkippedFireOn != 2 || len(res.Created) != 0 {
		t.Errorf("fire_on value_change,rejected: %+v, want 2 found, 2 skipped for fire_on", res)
	}

	firstOnly := f.destination("meta", map[string]string{"pixel_id": "1", "access_token": "EAAB"},
		destinations.FireOnOf(destinations.LifeFirst), true, &camp.ID)
	res, err = st.Backfill(ctx, store.BackfillParams{AccountID: f.a.ID, DestinationID: firstOnly.ID, Since: since})
	if err != nil {
		t.Fatal(err)
	}
	if res.Found != 1 || len(res.Created) != 1 || res.Created[0].TxKey != "IN" || res.Created[0].ClickID != "k1" {
		t.Fatalf("campaign destination: %+v, want IN only", res)
	}
	if d := f.deliveriesOf(firstOnly.ID)["IN"]; len(d) != 1 || d[0].Kind != destinations.KindConversion ||
		d[0].EventID != store.EventKey(f.a.ID, "IN", firstOnly.ID, destinations.KindConversion) {
		t.Errorf("fire_on first backfill delivery = %+v, want the first conversion's key", d)
	}

	off := f.destination("webhook", map[string]string{"url": "https://hooks.example/x"}, 0, false, nil)
	if _, err := st.Backfill(ctx, store.BackfillParams{AccountID: f.a.ID, DestinationID: off.ID, Since: since}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("backfill of a disabled destination: %v, want ErrConflict", err)
	}
	other := &backfillFixture{t: t, st: st, a: newAccount(t, st)}
	if _, err := st.Backfill(ctx, store.BackfillParams{AccountID: other.a.ID, DestinationID: firstOnly.ID, Since: since}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("backfill of another account's destination: %v, want ErrNotFound", err)
	}
}
