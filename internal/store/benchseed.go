package store

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// SeedReportBench fills an account with synthetic clicks and conversions for the
// report-latency benchmark, spread over the 90 days before 'now', in SQL
// (generate_series: millions of rows in minutes, not hours). Dimensions cycle
// through realistic cardinalities: 20 campaigns, 1,000 sub1 values, 8 countries,
// 3 device types, 5 systems, 4 browsers, 3 currencies. Costs as traffic sources
// give them: 15 campaigns' clicks carry a cost ({cost}), the other 5 have a cost
// in EUR per UTC day for the last 30 days (SetCost: spread over their clicks).
// Benchmark use only.
func (s *Store) SeedReportBench(ctx context.Context, accountID string, clicks, conversions int, now time.Time) error {
	var campaigns []int64
	for i := 0; i < 20; i++ {
		cp, err := s.CreateCampaign(ctx, Campaign{AccountID: accountID,
			CampaignSettings: CampaignSettings{Name: fmt.Sprintf("bench %d", i), OfferURL: "https://offer.example/",
				TrafficSource: fmt.Sprintf("source%d", i%4)}})
		if err != nil {
			return err
		}
		campaigns = append(campaigns, cp.ID)
	}
	const dims = `(ARRAY['US','DE','FR','GB','BR','IN','JP','CA'])[1 + g % 8],
		(ARRAY['desktop','mobile','tablet'])[1 + g % 3],
		(ARRAY['Windows','iOS','Android','macOS','Linux'])[1 + g % 5],
		(ARRAY['Chrome','Safari','Firefox','Edge'])[1 + g % 4],
		jsonb_build_object('sub1', 'p' || (g % 1000), 'sub2', 'a' || (g % 50))`
	if _, err := s.Pool.Exec(ctx, `INSERT INTO clicks (id, account_id, campaign_id, visitor_id, created_at, country, device_type, os, browser, subs, cost)
		SELECT 'bench' || g, $1, ($2::bigint[])[1 + g % 20], 'v' || (g % 1000000),
			$3::timestamptz - interval '90 days' * ((hashint4(g)::bigint & 2147483647) / 2147483647.0), `+dims+`,
			CASE WHEN g % 20 < 15 THEN 0.01 + (g % 13) * 0.007 END
		FROM generate_series(1, $4::int) g`, accountID, campaigns, now, clicks); err != nil {
		return fmt.Errorf("seed clicks: %w", err)
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO conversions (account_id, tx_key, transaction_id, integration, status, value, currency,
			event_name, click_id, campaign_id, traffic_source, attributed, converted_at, value_account, account_currency, rate, rate_date,
			country, device_type, os, browser, subs, deleted_at)
		SELECT $1, 'tx' || g, 'tx' || g, 'network', st, val, cur, (ARRAY['Purchase','Lead'])[1 + g % 2], 'bench' || (g * 5),
			($2::bigint[])[1 + (g * 5) % 20], 'source' || ((g * 5) % 20 % 4), true, at,
			round(val * fx, 6), 'USD', fx, at::date, `+dims+`, CASE WHEN st = 'rejected' THEN at END
		FROM (SELECT g, (ARRAY['approved','approved','approved','pending','rejected'])[1 + g % 5] AS st, (g % 100) + 0.5 AS val,
				(ARRAY['USD','EUR','GBP'])[1 + g % 3] AS cur, (ARRAY[1, 1.08, 1.27])[1 + g % 3]::numeric AS fx,
				$3::timestamptz - interval '90 days' * ((hashint4(-g)::bigint & 2147483647) / 2147483647.0) AS at
			FROM generate_series(1, $4::int) g) x`, accountID, campaigns, now, conversions); err != nil {
		return fmt.Errorf("seed conversions: %w", err)
	}
	if _, err := s.SaveRates(ctx, []DayRates{{Date: now.AddDate(0, 0, -100), Base: "EUR",
		Rates: map[string]decimal.Decimal{"USD": decimal.RequireFromString("1.08")}}}); err != nil {
		return err
	}
	today := now.UTC().Truncate(24 * time.Hour)
	for _, cp := range campaigns[15:] {
		for d := 1; d <= 30; d++ {
			day := today.AddDate(0, 0, -d)
			if _, _, err := s.SetCost(ctx, Cost{AccountID: accountID, CampaignID: cp, Start: day, End: day.AddDate(0, 0, 1),
				Amount: decimal.NewFromInt(int64(40 + d)), Currency: "EUR"}); err != nil {
				return fmt.Errorf("seed costs: %w", err)
			}
		}
	}
	// What a live system's reports do as they go: fold the report counts the
	// triggers appended (here, one row per key for the whole seed).
	if err := s.FoldReportCounts(ctx, accountID); err != nil {
		return err
	}
	// What autovacuum does on a live system: statistics, and the visibility map
	// that lets the report indexes answer without visiting the rows.
	for _, t := range []string{"clicks", "conversions", "click_counts", "conversion_counts",
		"click_counts_sub1", "conversion_counts_sub1", "click_counts_geo", "conversion_counts_geo",
		"click_counts_sub1_days", "conversion_counts_sub1_days", "click_counts_geo_days", "conversion_counts_geo_days"} {
		if _, err := s.Pool.Exec(ctx, `VACUUM (ANALYZE) `+t); err != nil {
			return fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	return nil
}
