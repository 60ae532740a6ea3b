package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// A report read from the report counts gives exactly what the rows give, through
// inserts one by one and in bulk, status and value changes, currency changes,
// deleted clicks, folds in between, and time zones a quarter or half an hour off
// UTC across their daylight saving changes.
func TestReportCountsGiveWhatTheRowsGive(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	now := time.Now().UTC()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := st.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	seed := func(account string, salt int) []int64 {
		var campaigns []int64
		for i := 0; i < 3; i++ {
			cp, err := st.CreateCampaign(ctx, store.Campaign{AccountID: account,
				CampaignSettings: store.CampaignSettings{Name: fmt.Sprint("c", i), OfferURL: "https://offer.example/",
					TrafficSource: fmt.Sprint("source", i%2)}})
			if err != nil {
				t.Fatal(err)
			}
			campaigns = append(campaigns, cp.ID)
		}
		// Bulk: 3,000 clicks and 800 conversions over the last 100 days, some
		// without a campaign, some without a value or a currency yet.
		exec(`INSERT INTO clicks (id, account_id, campaign_id, created_at, cost)
			SELECT $1 || g, $2, CASE WHEN g % 7 = 0 THEN NULL ELSE ($3::bigint[])[1 + g % 3] END,
				$4::timestamptz - interval '100 days' * ((hashint4(g + $5)::bigint & 2147483647) / 2147483647.0),
				CASE WHEN g % 4 = 0 THEN NULL ELSE (g % 9) * 0.013 END
			FROM generate_series(1, 3000) g`, fmt.Sprint("k", salt, "-"), account, campaigns, now, salt)
		exec(`INSERT INTO conversions (account_id, tx_key, status, value, currency, event_name, integration, campaign_id,
				traffic_source, converted_at, value_account, account_currency)
			SELECT $1, 'tx' || g, (ARRAY['approved','pending','rejected','approved'])[1 + g % 4], g % 50 + 0.25, 'EUR',
				(ARRAY['Purchase','Lead','Signup'])[1 + g % 3], (ARRAY['net','pb'])[1 + g % 2],
				CASE WHEN g % 5 = 0 THEN NULL ELSE ($2::bigint[])[1 + g % 3] END, 'source' || (g % 2),
				$3::timestamptz - interval '100 days' * ((hashint4(-g - $4)::bigint & 2147483647) / 2147483647.0),
				CASE WHEN g % 6 = 0 THEN NULL ELSE round((g % 50 + 0.25) * 1.08, 6) END,
				CASE WHEN g % 11 = 0 THEN NULL WHEN g % 13 = 0 THEN 'GBP' ELSE 'USD' END
			FROM generate_series(1, 800) g`, account, campaigns, now, salt)
		return campaigns
	}
	a, _, err := st.CreateAccount(ctx, store.Account{Name: "a", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := st.CreateAccount(ctx, store.Account{Name: "b", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	campaigns := seed(a.ID, 1)
	seed(other.ID, 2)
	// One by one, as the click redirect writes them.
	for i := 0; i < 20; i++ {
		if _, err := st.InsertClick(ctx, store.Click{ID: fmt.Sprint("one-", i), AccountID: a.ID, CampaignID: &campaigns[i%3],
			CreatedAt: now.Add(-time.Duration(i) * 7 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.FoldReportCounts(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	// Changes after the fold: approvals reversed, values converted and cleared,
	// a currency change, a conversion moved in time, clicks deleted (retention,
	// erasure) and one losing its campaign.
	exec(`UPDATE conversions SET status = 'rejected' WHERE account_id = $1 AND tx_key IN ('tx4', 'tx8', 'tx12', 'tx16')`, a.ID)
	exec(`UPDATE conversions SET status = 'approved', value_account = 99.5 WHERE account_id = $1 AND tx_key IN ('tx1', 'tx5')`, a.ID)
	exec(`UPDATE conversions SET value_account = NULL WHERE account_id = $1 AND tx_key LIKE 'tx3%'`, a.ID)
	exec(`UPDATE conversions SET value_account = 7.000001, account_currency = 'USD' WHERE account_id = $1 AND value_account IS NULL AND tx_key LIKE 'tx2%'`, a.ID)
	exec(`UPDATE conversions SET converted_at = converted_at - interval '13 days 5 minutes' WHERE account_id = $1 AND tx_key LIKE 'tx7%'`, a.ID)
	exec(`UPDATE conversions SET postback = '{"erased": true}' WHERE account_id = $1`, a.ID)
	exec(`DELETE FROM clicks WHERE account_id = $1 AND id LIKE 'k1-1%'`, a.ID)
	exec(`UPDATE clicks SET campaign_id = NULL WHERE account_id = $1 AND id = 'one-3'`, a.ID)
	exec(`UPDATE clicks SET cost = 0.5 WHERE account_id = $1 AND id LIKE 'k1-2%'`, a.ID)
	// A campaign cost spread over a day's clicks (and posted again: replaced).
	for _, amount := range []string{"10", "7.25"} {
		day := now.Truncate(24*time.Hour).AddDate(0, 0, -3)
		if _, _, err := st.SetCost(ctx, store.Cost{AccountID: a.ID, CampaignID: campaigns[0], Start: day, End: day.AddDate(0, 0, 1),
			Amount: decimal.RequireFromString(amount), Currency: "USD"}); err != nil {
			t.Fatal(err)
		}
	}
	exec(`DELETE FROM conversions WHERE account_id = $1 AND tx_key = 'tx9'`, a.ID)

	shapes := []struct {
		groupBy []string
		filters map[string]string
	}{
		{[]string{"campaign"}, nil},
		{[]string{"day"}, nil},
		{[]string{"campaign", "day"}, nil},
		{[]string{"traffic_source"}, nil},
		{[]string{"day"}, map[string]string{"traffic_source": "source1"}},
		{[]string{"status", "event"}, nil},
		{[]string{"integration", "day"}, map[string]string{"campaign": fmt.Sprint(campaigns[1])}},
		{[]string{"day"}, map[string]string{"campaign": ""}},
		{[]string{"event"}, map[string]string{"status": "approved"}},
	}
	for _, tz := range []string{"UTC", "Europe/Berlin", "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		today := now.In(loc)
		today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
		for _, days := range []int{1, 30, 100} {
			for _, sh := range shapes {
				q := store.ReportQuery{AccountID: a.ID, GroupBy: sh.groupBy, Filters: sh.filters, From: today.AddDate(0, 0, 1-days),
					To: today.AddDate(0, 0, 1), TZ: tz, Currency: "USD"}
				name := fmt.Sprintf("%s %d days by %v %v", tz, days, sh.groupBy, sh.filters)
				if !q.ReadsCounts() {
					t.Fatalf("%s: does not read the counts", name)
				}
				want, err := st.ReportFromRows(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				got, err := st.Report(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(want) == 0 && days > 1 {
					t.Fatalf("%s: no rows to compare", name)
				}
				if !sameReport(got, want) {
					t.Errorf("%s: counts give\n%v\nrows give\n%v", name, got, want)
				}
			}
		}
	}
	// The API's periodic fold leaves no row of changes (here, the other
	// account's, whose reports nobody opened) and changes no report.
	q := store.ReportQuery{AccountID: a.ID, GroupBy: []string{"campaign", "status"}, From: now.AddDate(0, 0, -200).Truncate(time.Hour),
		To: now.AddDate(0, 0, 1).Truncate(time.Hour), TZ: "UTC", Currency: "USD"}
	before, err := st.Report(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var fresh int
	if err := st.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM click_counts WHERE NOT folded) + (SELECT count(*) FROM conversion_counts WHERE NOT folded)`).Scan(&fresh); err != nil || fresh == 0 {
		t.Fatalf("rows of changes before the fold: %d %v", fresh, err)
	}
	// A report folds the family it reads: this account's sub1 and geo counts
	// (migration 011), which no report above read, wait too.
	if n, err := st.FoldAllReportCounts(ctx); err != nil || n != 2 {
		t.Fatalf("fold all: %d accounts, %v; want both (the other account's counts, this one's sub1 and geo counts)", n, err)
	}
	if err := st.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM click_counts WHERE NOT folded) + (SELECT count(*) FROM conversion_counts WHERE NOT folded)`).Scan(&fresh); err != nil || fresh != 0 {
		t.Fatalf("rows of changes after the fold: %d %v", fresh, err)
	}
	after, err := st.Report(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := st.ReportFromRows(ctx, q); !sameReport(after, want) || !sameReport(before, want) {
		t.Fatalf("the fold changed the report:\n%v\n%v\nrows: %v", before, after, want)
	}

	// Reports by other dimensions (or by sub1 or country with one no family keeps
	// with it), or over a range that is not whole quarter hours, read the rows.
	for _, q := range []store.ReportQuery{
		{GroupBy: []string{"os"}, From: now.Add(-time.Hour).Truncate(time.Hour), To: now.Truncate(time.Hour)},
		{GroupBy: []string{"country"}, Filters: map[string]string{"sub1": "x"}, From: now.Add(-time.Hour).Truncate(time.Hour), To: now.Truncate(time.Hour)},
		{GroupBy: []string{"sub1", "event"}, From: now.Add(-time.Hour).Truncate(time.Hour), To: now.Truncate(time.Hour)},
		{GroupBy: []string{"campaign"}, Filters: map[string]string{"sub2": "x"}, From: now.Add(-time.Hour).Truncate(time.Hour), To: now.Truncate(time.Hour)},
		{GroupBy: []string{"campaign"}, From: now.Add(-time.Hour).Truncate(time.Minute), To: now.Truncate(time.Hour).Add(7 * time.Minute)},
	} {
		if q.ReadsCounts() {
			t.Errorf("%v %v from %s reads the counts", q.GroupBy, q.Filters, q.From)
		}
	}
}

// The shapes that used to read the rows, by sub1 and by country x device type,
// read the counts of migration 011 and give what the rows give, through bulk and
// one-by-one inserts, changes of sub1, country, device, status and value, deletes
// and folds in between, in time zones off UTC by a quarter or half hour.
func TestReportCountsBySub1AndGeoGiveWhatTheRowsGive(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	now := time.Now().UTC()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := st.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	a, _, err := st.CreateAccount(ctx, store.Account{Name: "a", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	var campaigns []int64
	for i := 0; i < 3; i++ {
		cp, err := st.CreateCampaign(ctx, store.Campaign{AccountID: a.ID,
			CampaignSettings: store.CampaignSettings{Name: fmt.Sprint("c", i), OfferURL: "https://offer.example/",
				TrafficSource: fmt.Sprint("source", i%2)}})
		if err != nil {
			t.Fatal(err)
		}
		campaigns = append(campaigns, cp.ID)
	}
	// Some rows without a sub1 (no key, or an empty subs), some with other subs.
	const dims = `(ARRAY['US','DE','','FR'])[1 + g % 4], (ARRAY['desktop','mobile','tablet',''])[1 + (g / 3) % 4],
		CASE WHEN g % 9 = 0 THEN '{}'::jsonb WHEN g % 10 = 0 THEN jsonb_build_object('sub2', 'x')
			ELSE jsonb_build_object('sub1', 'p' || (g % 7), 'sub2', 'a' || (g % 3)) END`
	exec(`INSERT INTO clicks (id, account_id, campaign_id, created_at, country, device_type, subs, cost)
		SELECT 'k' || g, $1, CASE WHEN g % 7 = 0 THEN NULL ELSE ($2::bigint[])[1 + g % 3] END,
			$3::timestamptz - interval '100 days' * ((hashint4(g)::bigint & 2147483647) / 2147483647.0), `+dims+`,
			CASE WHEN g % 5 = 0 THEN NULL ELSE (g % 11) * 0.007 END
		FROM generate_series(1, 3000) g`, a.ID, campaigns, now)
	exec(`INSERT INTO conversions (account_id, tx_key, status, value, currency, event_name, integration, campaign_id,
			traffic_source, converted_at, value_account, account_currency, country, device_type, subs)
		SELECT $1, 'tx' || g, (ARRAY['approved','pending','rejected','approved'])[1 + g % 4], g % 50 + 0.25, 'EUR',
			(ARRAY['Purchase','Lead'])[1 + g % 2], 'net', CASE WHEN g % 5 = 0 THEN NULL ELSE ($2::bigint[])[1 + g % 3] END,
			'source' || (g % 2), $3::timestamptz - interval '100 days' * ((hashint4(-g)::bigint & 2147483647) / 2147483647.0),
			CASE WHEN g % 6 = 0 THEN NULL ELSE round((g % 50 + 0.25) * 1.08, 6) END,
			CASE WHEN g % 11 = 0 THEN NULL WHEN g % 13 = 0 THEN 'GBP' ELSE 'USD' END, `+dims+`
		FROM generate_series(1, 800) g`, a.ID, campaigns, now)
	for i := 0; i < 20; i++ {
		if _, err := st.InsertClick(ctx, store.Click{ID: fmt.Sprint("one-", i), AccountID: a.ID, CampaignID: &campaigns[i%3],
			CreatedAt: now.Add(-time.Duration(i) * 7 * time.Hour), Country: "US", DeviceType: "mobile",
			Subs: map[string]string{"sub1": fmt.Sprint("p", i%3)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.FoldReportCounts(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	exec(`UPDATE conversions SET status = 'rejected' WHERE account_id = $1 AND tx_key IN ('tx4', 'tx8', 'tx12')`, a.ID)
	exec(`UPDATE conversions SET subs = jsonb_build_object('sub1', 'moved') WHERE account_id = $1 AND tx_key LIKE 'tx3%'`, a.ID)
	exec(`UPDATE conversions SET country = 'GB', device_type = 'tablet' WHERE account_id = $1 AND tx_key LIKE 'tx2%'`, a.ID)
	exec(`UPDATE conversions SET value_account = 5.5, account_currency = 'USD' WHERE account_id = $1 AND value_account IS NULL AND tx_key LIKE 'tx1%'`, a.ID)
	exec(`UPDATE conversions SET postback = '{"erased": true}' WHERE account_id = $1`, a.ID)
	exec(`UPDATE clicks SET country = 'DE', subs = '{}' WHERE account_id = $1 AND id LIKE 'k2%'`, a.ID)
	exec(`UPDATE clicks SET cost = 1.25 WHERE account_id = $1 AND id LIKE 'k3%'`, a.ID)
	exec(`DELETE FROM clicks WHERE account_id = $1 AND id LIKE 'k1%'`, a.ID)
	exec(`DELETE FROM conversions WHERE account_id = $1 AND tx_key LIKE 'tx5%'`, a.ID)

	shapes := []struct {
		groupBy []string
		filters map[string]string
	}{
		{[]string{"sub1"}, nil},
		{[]string{"sub1", "day"}, nil},
		{[]string{"campaign", "sub1"}, nil},
		{[]string{"sub1"}, map[string]string{"traffic_source": "source1"}},
		{[]string{"day"}, map[string]string{"sub1": "p3"}},
		{[]string{"sub1", "status"}, map[string]string{"campaign": fmt.Sprint(campaigns[1])}},
		{[]string{"country", "device_type"}, nil},
		{[]string{"country"}, nil},
		{[]string{"device_type", "day"}, map[string]string{"country": "US"}},
		{[]string{"country", "device_type", "status"}, map[string]string{"traffic_source": "source0"}},
		{[]string{"campaign", "country"}, map[string]string{"device_type": ""}},
	}
	for _, tz := range []string{"UTC", "Asia/Kathmandu", "America/St_Johns"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		today := now.In(loc)
		today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
		for _, days := range []int{1, 30, 100} {
			for _, sh := range shapes {
				q := store.ReportQuery{AccountID: a.ID, GroupBy: sh.groupBy, Filters: sh.filters, From: today.AddDate(0, 0, 1-days),
					To: today.AddDate(0, 0, 1), TZ: tz, Currency: "USD"}
				name := fmt.Sprintf("%s %d days by %v %v", tz, days, sh.groupBy, sh.filters)
				if !q.ReadsCounts() {
					t.Fatalf("%s: does not read the counts", name)
				}
				want, err := st.ReportFromRows(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				got, err := st.Report(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(want) == 0 && days > 1 {
					t.Fatalf("%s: no rows to compare", name)
				}
				if !sameReport(got, want) {
					t.Errorf("%s: counts give\n%v\nrows give\n%v", name, got, want)
				}
			}
		}
	}
	var fresh int
	if _, err := st.FoldAllReportCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM click_counts_sub1 WHERE NOT folded) + (SELECT count(*) FROM conversion_counts_sub1 WHERE NOT folded)
		+ (SELECT count(*) FROM click_counts_geo WHERE NOT folded) + (SELECT count(*) FROM conversion_counts_geo WHERE NOT folded)`).Scan(&fresh); err != nil || fresh != 0 {
		t.Fatalf("rows of changes after the fold: %d %v", fresh, err)
	}

	// An email sent as sub1, folded next to a click without one (same bucket and
	// campaign), is erased from the counts too, without the two folded rows
	// colliding, and the report still gives what the rows give.
	const email = "jane.doe@example.com"
	at := now.Truncate(time.Hour).Add(-30 * time.Minute)
	for i, sub := range []map[string]string{{"sub1": email}, nil} {
		if _, err := st.InsertClick(ctx, store.Click{ID: fmt.Sprint("erase-", i), AccountID: a.ID, CampaignID: &campaigns[0], Email: email,
			CreatedAt: at, Subs: sub}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.InsertClick(ctx, store.Click{ID: "keep", AccountID: a.ID, CampaignID: &campaigns[0], CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := st.FoldReportCounts(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Erase(ctx, a.ID, store.EraseEmail, email); err != nil {
		t.Fatalf("erase: %v", err)
	}
	var left int
	if err := st.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM click_counts_sub1 WHERE sub1 ILIKE '%jane.doe%')
		+ (SELECT count(*) FROM conversion_counts_sub1 WHERE sub1 ILIKE '%jane.doe%')
		+ (SELECT count(*) FROM click_counts_sub1_days WHERE sub1 ILIKE '%jane.doe%')`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d count rows still hold the email (%v)", left, err)
	}
	// Read before and after the fold that merges the renamed rows: the day the
	// click is in comes from the days table, its neighbours' quarter hours not.
	for _, fold := range []bool{false, true} {
		if fold {
			if _, err := st.FoldAllReportCounts(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []store.ReportQuery{
			{AccountID: a.ID, GroupBy: []string{"sub1", "campaign"}, From: now.AddDate(0, 0, -2).Truncate(time.Hour),
				To: now.AddDate(0, 0, 1).Truncate(time.Hour), TZ: "UTC", Currency: "USD"},
			{AccountID: a.ID, GroupBy: []string{"sub1"}, From: at.Add(-15 * time.Minute), To: at.Add(time.Hour), TZ: "UTC", Currency: "USD"},
		} {
			if !q.ReadsCounts() {
				t.Fatalf("%v from %s does not read the counts", q.GroupBy, q.From)
			}
			got, err := st.ReportFromCountsUnfolded(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := st.ReportFromRows(ctx, q); !sameReport(got, want) {
				t.Fatalf("after the erasure (fold %v), counts give\n%v\nrows give\n%v", fold, got, want)
			}
		}
	}
	var days int
	if err := st.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM click_counts_sub1_days) + (SELECT count(*) FROM conversion_counts_geo_days)`).Scan(&days); err != nil || days == 0 {
		t.Fatalf("no day counts: %d %v", days, err)
	}
}

// sameReport compares reports by value: decimals by amount (a sum of the counts
// and of the rows may differ in trailing zeros, which no answer shows).
func sameReport(a, b []store.ReportRow) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.Revenue.Equal(y.Revenue) || x.Revenue.String() != y.Revenue.String() {
			return false
		}
		if (x.ConversionRate == nil) != (y.ConversionRate == nil) || (x.EPC == nil) != (y.EPC == nil) ||
			(x.EPC != nil && (x.EPC.String() != y.EPC.String() || x.ConversionRate.String() != y.ConversionRate.String())) {
			return false
		}
		for _, p := range [][2]*decimal.Decimal{{x.Cost, y.Cost}, {x.Profit, y.Profit}, {x.ROI, y.ROI}, {x.CPA, y.CPA}} {
			if (p[0] == nil) != (p[1] == nil) || (p[0] != nil && p[0].String() != p[1].String()) {
				return false
			}
		}
		x.Revenue = y.Revenue
		x.ConversionRate, y.ConversionRate, x.EPC, y.EPC = nil, nil, nil, nil
		x.Cost, y.Cost, x.Profit, y.Profit, x.ROI, y.ROI, x.CPA, y.CPA = nil, nil, nil, nil, nil, nil, nil, nil
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}
