package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// A report by sub1 over clicks carrying their own costs (USD, the account's
// currency) and a campaign's day cost posted in EUR, with conversions in USD and
// EUR, shows cost, revenue, profit, ROI and CPA in USD equal to a hand
// computation, read from the counts and from the rows alike.
func TestReportBySub1WithCostsInTwoCurrencies(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a, _, err := st.CreateAccount(ctx, store.Account{Name: "a", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	// 1 EUR = 1.1 USD, published the day before.
	if _, err := st.SaveRates(ctx, []store.DayRates{{Date: day.AddDate(0, 0, -1), Base: "EUR",
		Rates: map[string]decimal.Decimal{"USD": decimal.RequireFromString("1.1")}}}); err != nil {
		t.Fatal(err)
	}
	c1, err := st.CreateCampaign(ctx, store.Campaign{AccountID: a.ID, CampaignSettings: store.CampaignSettings{Name: "c1",
		OfferURL: "https://o.example/", TrafficSource: "ts"}})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := st.CreateCampaign(ctx, store.Campaign{AccountID: a.ID, CampaignSettings: store.CampaignSettings{Name: "c2",
		OfferURL: "https://o.example/", TrafficSource: "ts"}})
	if err != nil {
		t.Fatal(err)
	}
	click := func(id string, cp int64, sub1, cost string, at time.Time) {
		t.Helper()
		k := store.Click{ID: id, AccountID: a.ID, CampaignID: &cp, Subs: map[string]string{"sub1": sub1}, CreatedAt: at}
		if cost != "" {
			c := decimal.RequireFromString(cost)
			k.Cost = &c
		}
		if _, err := st.InsertClick(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	// Campaign 1: clicks with their own cost ({cost} on the tracking link).
	click("a1", c1.ID, "a", "0.40", day.Add(9*time.Hour))
	click("a2", c1.ID, "a", "0.40", day.Add(10*time.Hour))
	click("b1", c1.ID, "b", "", day.Add(11*time.Hour))
	// Campaign 2: 8 EUR for the day = 8.80 USD over 4 clicks, 2.20 each; the
	// click's own 1.00 is replaced.
	click("a3", c2.ID, "a", "1.00", day.Add(1*time.Hour))
	click("b2", c2.ID, "b", "", day.Add(2*time.Hour))
	click("b3", c2.ID, "b", "", day.Add(3*time.Hour))
	click("b4", c2.ID, "b", "", day.Add(23*time.Hour))
	click("next-day", c2.ID, "b", "", day.Add(25*time.Hour)) // outside the day: not in the report, keeps no cost
	cost, before, err := st.SetCost(ctx, store.Cost{AccountID: a.ID, CampaignID: c2.ID, Start: day, End: day.AddDate(0, 0, 1),
		Amount: decimal.RequireFromString("8"), Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	if before != nil || cost.Clicks != 4 || cost.AmountAccount.String() != "8.8" || cost.Rate.String() != "1.1" || cost.AccountCurrency != "USD" {
		t.Fatalf("cost %+v, before %v", cost, before)
	}
	// Conversions: sub1 a 10 USD and 5 EUR approved; b 20 EUR approved and 100 USD rejected.
	for _, v := range []struct{ tx, status, value, currency, sub1 string }{
		{"t1", "approved", "10", "USD", "a"}, {"t2", "approved", "5", "EUR", "a"},
		{"t3", "approved", "20", "EUR", "b"}, {"t4", "rejected", "100", "USD", "b"},
	} {
		if _, err := st.Pool.Exec(ctx, `INSERT INTO conversions (account_id, tx_key, status, value, currency, event_name, integration,
				campaign_id, traffic_source, converted_at, subs)
			VALUES ($1, $2, $3, $4, $5, 'Purchase', 'net', $6, 'ts', $7, jsonb_build_object('sub1', $8::text))`,
			a.ID, v.tx, v.status, v.value, v.currency, c1.ID, day.Add(12*time.Hour), v.sub1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.ConvertPending(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	want := map[string][5]string{ // cost, revenue, profit, roi, cpa
		// a: 0.40 + 0.40 + 2.20 = 3.00; 10 + 5 x 1.1 = 15.50; 12.50; 12.5 / 3; 3 / 2
		"a": {"3", "15.5", "12.5", "4.1667", "1.5"},
		// b: 3 x 2.20 = 6.60; 20 x 1.1 = 22; 15.40; 15.4 / 6.6; 6.6 / 1
		"b": {"6.6", "22", "15.4", "2.3333", "6.6"},
	}
	q := store.ReportQuery{AccountID: a.ID, GroupBy: []string{"sub1"}, From: day, To: day.AddDate(0, 0, 1), TZ: "UTC", Currency: "USD"}
	for _, read := range []string{"counts", "rows"} {
		var rows []store.ReportRow
		if read == "counts" {
			rows, err = st.Report(ctx, q)
		} else {
			rows, err = st.ReportFromRows(ctx, q)
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("%s: %d rows: %+v", read, len(rows), rows)
		}
		for _, r := range rows {
			w := want[r.Key]
			got := [5]string{str(r.Cost), r.Revenue.String(), str(r.Profit), str(r.ROI), str(r.CPA)}
			if got != w {
				t.Errorf("%s: sub1 %s: cost, revenue, profit, roi, cpa = %v, want %v", read, r.Key, got, w)
			}
		}
	}
	// By status, clicks (and so costs) do not split: no cost, profit or ROI.
	rows, err := st.Report(ctx, store.ReportQuery{AccountID: a.ID, GroupBy: []string{"status"}, From: day, To: day.AddDate(0, 0, 1),
		TZ: "UTC", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Cost != nil || r.Profit != nil || r.ROI != nil || r.CPA != nil {
			t.Errorf("by status %s: cost %v profit %v roi %v cpa %v", r.Key, str(r.Cost), str(r.Profit), str(r.ROI), str(r.CPA))
		}
	}
}

// A campaign cost is spread exactly (the shares add up to it), replaces the
// period's own costs and a cost posted before for the same period, refuses a
// period overlapping another, a currency without a rate, and another account's
// campaign.
func TestSetCost(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a, _, err := st.CreateAccount(ctx, store.Account{Name: "a", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := st.CreateAccount(ctx, store.Account{Name: "b", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := st.CreateCampaign(ctx, store.Campaign{AccountID: a.ID, CampaignSettings: store.CampaignSettings{Name: "c",
		OfferURL: "https://o.example/"}})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for i, h := range []int{1, 2, 3} {
		c := decimal.RequireFromString("0.3")
		if _, err := st.InsertClick(ctx, store.Click{ID: string(rune('x' + i)), AccountID: a.ID, CampaignID: &cp.ID,
			CreatedAt: day.Add(time.Duration(h) * time.Hour), Cost: &c}); err != nil {
			t.Fatal(err)
		}
	}
	set := func(start time.Time, d time.Duration, amount, currency string) (store.Cost, *store.Cost, error) {
		return st.SetCost(ctx, store.Cost{AccountID: a.ID, CampaignID: cp.ID, Start: start, End: start.Add(d),
			Amount: decimal.RequireFromString(amount), Currency: currency})
	}
	total := func() string {
		var s decimal.Decimal
		if err := st.Pool.QueryRow(ctx, `SELECT sum(cost) FROM clicks WHERE account_id = $1`, a.ID).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s.String()
	}
	if _, _, err := set(day, 24*time.Hour, "10", "USD"); err != nil {
		t.Fatal(err)
	}
	if got := total(); got != "10" {
		t.Fatalf("10 over 3 clicks adds up to %s", got)
	}
	c, before, err := set(day, 24*time.Hour, "4.5", "USD")
	if err != nil || before == nil || before.Amount.String() != "10" || c.Clicks != 3 {
		t.Fatalf("replace: %+v %+v %v", c, before, err)
	}
	if got := total(); got != "4.5" {
		t.Fatalf("replaced cost adds up to %s", got)
	}
	if _, _, err := set(day.Add(2*time.Hour), time.Hour, "1", "USD"); !errors.Is(err, store.ErrCostOverlap) {
		t.Fatalf("an hour inside a day with a cost: %v", err)
	}
	if _, _, err := set(day.AddDate(0, 0, 1), 24*time.Hour, "1", "JPY"); !errors.Is(err, store.ErrNoRate) {
		t.Fatalf("a currency without a rate: %v", err)
	}
	if _, _, err := st.SetCost(ctx, store.Cost{AccountID: other.ID, CampaignID: cp.ID, Start: day, End: day.Add(time.Hour),
		Amount: decimal.NewFromInt(1), Currency: "USD"}); !store.IsNotFound(err) {
		t.Fatalf("another account's campaign: %v", err)
	}
}

func str(d *decimal.Decimal) string {
	if d == nil {
		return "<nil>"
	}
	return d.String()
}
