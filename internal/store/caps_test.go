package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

func intp(n int) *int { return &n }

// capFixture is an account with a campaign whose traffic source is capped,
// and a webhook (no caps) beside it.
type capFixture struct {
	t        *testing.T
	st       *store.Store
	account  store.Account
	campaign store.Campaign
	source   int64 // the campaign's traffic-source destination
}

func newCapFixture(t *testing.T, caps []store.Cap, action string) *capFixture {
	t.Helper()
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	c, err := st.CreateCampaign(ctx, store.Campaign{AccountID: a.ID, CampaignSettings: store.CampaignSettings{Name: "capped",
		OfferURL: "https://o.example/", TrafficSourcePostback: "https://ts.example/pb?p={payout}", Caps: caps,
		CapAction: action}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateDestination(ctx, store.Destination{AccountID: a.ID, Type: "webhook", Name: "hook", Enabled: true,
		Config: map[string]string{"url": "http://127.0.0.1:1/x", "secret": "s"}}); err != nil {
		t.Fatal(err)
	}
	return &capFixture{t: t, st: st, account: a, campaign: c, source: managedDestination(t, st, a.ID, c.ID).ID}
}

// record applies one postback of tx (from -> to at value) attributed to the
// campaign and returns the status of the traffic-source delivery it made
// ("" when none) and its note.
func (f *capFixture) record(tx, event string, from, to conv.Status, value string) (string, string) {
	f.t.Helper()
	status, note, err := f.try(tx, event, from, to, value)
	if err != nil {
		f.t.Fatal(err)
	}
	return status, note
}

// try is record for other goroutines: it returns its error.
func (f *capFixture) try(tx, event string, from, to conv.Status, value string) (string, string, error) {
	ctx := context.Background()
	e := &store.LogEntry{AccountID: f.account.ID, Integration: "pb", Method: "GET", Path: "/pb", ReceivedAt: time.Now(),
		Canonical: []byte(`{"transaction_id":"` + tx + `"}`), TransactionID: tx, WorkflowID: "conv/" + f.account.ID + "/" + tx, Outcome: "accepted"}
	if err := f.st.InsertLog(ctx, e); err != nil {
		return "", "", err
	}
	res, err := f.st.Record(ctx, store.RecordParams{PostbackID: e.ID, AccountID: f.account.ID, TxKey: tx, TransactionID: tx,
		EventName: event, Currency: "USD", ConvertedAt: time.Now(),
		Attribution: conv.Attribution{CampaignID: f.campaign.ID},
		Decision:    conv.Decision{Apply: true, From: from, To: to, Value: decimal.RequireFromString(value)}})
	if err != nil {
		return "", "", err
	}
	var status, note string
	err = f.st.Pool.QueryRow(ctx, `SELECT status, last_error FROM deliveries WHERE postback_id = $1 AND destination_id = $2`,
		e.ID, f.source).Scan(&status, &note)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", "", err
	}
	sent := false
	for _, d := range res.Deliveries {
		if d.DestinationID == f.source {
			sent = true
		}
	}
	if sent != (status == "pending") {
		return "", "", fmt.Errorf("%s: delivery %q, handed to the workflow: %v", tx, status, sent)
	}
	return status, note, nil
}

// A daily cap of 2 sends two postbacks and holds the third (capped, with the
// reason); the held conversion's later changes send nothing; the webhook is
// not capped; an operator can release a held one.
func TestDailyCapHoldsTheThird(t *testing.T) {
	f := newCapFixture(t, []store.Cap{{Daily: intp(2)}}, store.CapHold)
	for i, want := range []string{"pending", "pending", "capped"} {
		status, note := f.record(fmt.Sprintf("T%d", i), "Lead", conv.StatusNone, conv.StatusApproved, "25")
		if status != want {
			t.Errorf("conversion %d: %q, want %q", i, status, want)
		}
		if want == "capped" && !strings.HasPrefix(note, "not sent: daily cap 2 (every event) on ") {
			t.Errorf("held delivery note %q", note)
		}
	}
	// The held conversion's value change and rejection send the source nothing.
	if status, _ := f.record("T2", "Lead", conv.StatusApproved, conv.StatusApproved, "30"); status != "" {
		t.Errorf("value change of a held conversion: %q, want no delivery", status)
	}
	ctx := context.Background()
	var hooks int
	if err := f.st.Pool.QueryRow(ctx, `SELECT count(*) FROM deliveries x JOIN destinations d ON d.id = x.destination_id
		WHERE d.type = 'webhook' AND x.status = 'pending'`).Scan(&hooks); err != nil || hooks != 4 {
		t.Errorf("webhook deliveries %d (%v), want 4: caps are the traffic source's", hooks, err)
	}
	usage, err := f.st.CampaignCapUsage(ctx, f.account.ID, f.campaign.ID)
	if err != nil || len(usage) != 1 || usage[0].Used != 2 || usage[0].Period == "total" {
		t.Errorf("usage %+v %v, want today's 2", usage, err)
	}
	var held int64
	if err := f.st.Pool.QueryRow(ctx, `SELECT id FROM deliveries WHERE status = 'capped'`).Scan(&held); err != nil {
		t.Fatal(err)
	}
	ds, err := f.st.ListDeliveries(ctx, f.account.ID, store.DeliveryFilter{Status: "capped", Limit: 10})
	if err != nil || len(ds) != 1 || ds[0].ID != held {
		t.Errorf("listed as capped: %+v %v", ds, err)
	}
	h, err := f.st.ReDrive(ctx, f.account.ID, held)
	if err != nil || h.Ref.ID != held {
		t.Fatalf("release a held delivery: %+v %v", h, err)
	}
}

// reject closes the delivery for good (cap_rejected, not re-drivable); caps
// per event count that event only; a total cap counts across days.
func TestCapRejectPerEventAndTotal(t *testing.T) {
	f := newCapFixture(t, []store.Cap{{Event: "Purchase", Total: intp(1)}}, store.CapReject)
	if s, _ := f.record("P1", "Purchase", conv.StatusNone, conv.StatusApproved, "10"); s != "pending" {
		t.Errorf("first purchase %q", s)
	}
	if s, _ := f.record("L1", "Lead", conv.StatusNone, conv.StatusApproved, "1"); s != "pending" {
		t.Errorf("a lead under a purchase cap %q", s)
	}
	s, note := f.record("P2", "Purchase", conv.StatusNone, conv.StatusApproved, "10")
	if s != "cap_rejected" || note != "not sent: total cap 1 (Purchase) reached" {
		t.Errorf("second purchase %q %q", s, note)
	}
	var id int64
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT id FROM deliveries WHERE status = 'cap_rejected'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ReDrive(context.Background(), f.account.ID, id); err == nil {
		t.Error("a cap-rejected delivery was re-driven")
	}
}

// Two caps apply (daily 3, total 2): a conversion past one takes no slot of
// the other, and a pending conversion (fire_on approved) takes none.
func TestCapSlotsAreAllOrNothing(t *testing.T) {
	f := newCapFixture(t, []store.Cap{{Daily: intp(3), Total: intp(2)}}, store.CapHold)
	if s, _ := f.record("A", "Lead", conv.StatusNone, conv.StatusPending, "0.01"); s != "" {
		t.Errorf("pending: %q, want no delivery (the source takes the approval)", s)
	}
	for i, want := range []string{"pending", "pending", "capped", "capped"} {
		if s, _ := f.record(fmt.Sprintf("B%d", i), "Lead", conv.StatusNone, conv.StatusApproved, "5"); s != want {
			t.Errorf("conversion %d: %q, want %q", i, s, want)
		}
	}
	usage, _ := f.st.CampaignCapUsage(context.Background(), f.account.ID, f.campaign.ID)
	if fmt.Sprint(usage) != fmt.Sprintf("[{ %s 2} { total 2}]", usage[0].Period) {
		t.Errorf("usage %v: the daily count took slots the total refused", usage)
	}
}

// A parallel burst at the cap never sends more than the cap: many workflows
// record approvals at once against real PostgreSQL.
func TestCapIsExactUnderConcurrency(t *testing.T) {
	f := newCapFixture(t, []store.Cap{{Daily: intp(2)}}, store.CapHold)
	for round := 0; round < 3; round++ {
		const n = 12
		var wg sync.WaitGroup
		statuses := make([]string, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				var err error
				statuses[i], _, err = f.try(fmt.Sprintf("R%d-%d", round, i), "Lead", conv.StatusNone, conv.StatusApproved, "25")
				if err != nil {
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		sent := 0
		for _, s := range statuses {
			if s == "pending" {
				sent++
			} else if s != "capped" {
				t.Errorf("status %q", s)
			}
		}
		want := 0
		if round == 0 {
			want = 2
		}
		if sent != want {
			t.Errorf("round %d: %d of %d sent, want %d", round, sent, n, want)
		}
	}
	var total int
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM deliveries WHERE destination_id = $1 AND status = 'pending'`,
		f.source).Scan(&total); err != nil || total != 2 {
		t.Errorf("%d sent in all (%v), want 2", total, err)
	}
}

// A backfill to a capped campaign's traffic source takes slots like a live
// delivery: past the cap it records the rest as capped and sends none, and a
// repeat counts them again without taking more.
func TestBackfillRespectsCaps(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	c, err := st.CreateCampaign(ctx, store.Campaign{AccountID: a.ID, CampaignSettings: store.CampaignSettings{Name: "later",
		OfferURL: "https://o.example/", Caps: []store.Cap{{Daily: intp(1)}}}})
	if err != nil {
		t.Fatal(err)
	}
	f := &capFixture{t: t, st: st, account: a, campaign: c}
	for i := 0; i < 3; i++ {
		f.record(fmt.Sprintf("B%d", i), "Lead", conv.StatusNone, conv.StatusApproved, "5")
	}
	c.TrafficSourcePostback = "https://ts.example/pb?p={payout}"
	if _, err := st.UpdateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	dest := managedDestination(t, st, a.ID, c.ID)
	for round, want := range [][2]int{{1, 2}, {0, 2}} {
		res, err := st.Backfill(ctx, store.BackfillParams{AccountID: a.ID, DestinationID: dest.ID, Since: time.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Created) != want[0] || res.Capped != want[1] || res.Found != 3 {
			t.Errorf("backfill %d: created %d, capped %d, found %d; want %d, %d, 3", round, len(res.Created), res.Capped, res.Found, want[0], want[1])
		}
	}
	usage, _ := st.CampaignCapUsage(ctx, a.ID, c.ID)
	if len(usage) != 1 || usage[0].Used != 1 {
		t.Errorf("usage %v, want 1 slot taken", usage)
	}
}
