package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// ReportRow is one group of a report.
type ReportRow struct {
	Key            string           `json:"key"`
	Clicks         int64            `json:"clicks"`
	Pending        int64            `json:"pending"`
	Approved       int64            `json:"approved"`
	Rejected       int64            `json:"rejected"`
	Conversions    int64            `json:"conversions"`     // pending + approved
	Revenue        decimal.Decimal  `json:"revenue"`         // pending + approved values
	ConversionRate *decimal.Decimal `json:"conversion_rate"` // conversions / clicks, 4 places; null without clicks
}

// reportKeys are the SQL grouping expressions for clicks (k, campaign c) and
// conversions (v) per group_by; an empty click key means clicks do not split that
// way (group_by=event: clicks carry no event, so those rows have no clicks and no rate).
var reportKeys = map[string][2]string{
	"campaign":       {`coalesce(k.campaign_id::text, '')`, `coalesce(v.campaign_id::text, '')`},
	"traffic_source": {`coalesce(c.traffic_source, '')`, `v.traffic_source`},
	"event":          {``, `v.event_name`},
	"day":            {`to_char(k.created_at AT TIME ZONE $4, 'YYYY-MM-DD')`, `to_char(v.converted_at AT TIME ZONE $4, 'YYYY-MM-DD')`},
}

// ValidReportGroup reports whether group_by is supported.
func ValidReportGroup(g string) bool { _, ok := reportKeys[g]; return ok }

// Report counts clicks and conversions by status with revenue, per group, between
// from (inclusive) and to (exclusive), days taken in the account's time zone.
func (s *Store) Report(ctx context.Context, accountID, groupBy string, from, to time.Time, tz string) ([]ReportRow, error) {
	keys, ok := reportKeys[groupBy]
	if !ok {
		return nil, fmt.Errorf("report: unknown group_by %q", groupBy)
	}
	rows := map[string]*ReportRow{}
	get := func(k string) *ReportRow {
		if r := rows[k]; r != nil {
			return r
		}
		r := &ReportRow{Key: k}
		rows[k] = r
		return r
	}
	if keys[0] != "" {
		q := `SELECT ` + keys[0] + ` AS key, count(*) FROM clicks k LEFT JOIN campaigns c ON c.id = k.campaign_id
			WHERE k.account_id = $1 AND k.created_at >= $2 AND k.created_at < $3 GROUP BY 1`
		args := []any{accountID, from, to}
		if groupBy == "day" {
			args = append(args, tz)
		}
		rs, err := s.Pool.Query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("report clicks: %w", err)
		}
		for rs.Next() {
			var k string
			var n int64
			if err := rs.Scan(&k, &n); err != nil {
				rs.Close()
				return nil, fmt.Errorf("report clicks: %w", err)
			}
			get(k).Clicks = n
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, fmt.Errorf("report clicks: %w", err)
		}
	}
	q := `SELECT ` + keys[1] + ` AS key,
			count(*) FILTER (WHERE v.status = 'pending'), count(*) FILTER (WHERE v.status = 'approved'),
			count(*) FILTER (WHERE v.status = 'rejected'), coalesce(sum(v.value) FILTER (WHERE v.status <> 'rejected'), 0)
		FROM conversions v WHERE v.account_id = $1 AND v.converted_at >= $2 AND v.converted_at < $3 GROUP BY 1`
	args := []any{accountID, from, to}
	if groupBy == "day" {
		args = append(args, tz)
	}
	rs, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("report conversions: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var k string
		var p, a, r int64
		var rev decimal.Decimal
		if err := rs.Scan(&k, &p, &a, &r, &rev); err != nil {
			return nil, fmt.Errorf("report conversions: %w", err)
		}
		row := get(k)
		row.Pending, row.Approved, row.Rejected, row.Revenue = p, a, r, rev
		row.Conversions = p + a
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("report conversions: %w", err)
	}
	out := make([]ReportRow, 0, len(rows))
	for _, r := range rows {
		if r.Clicks > 0 {
			rate := decimal.NewFromInt(r.Conversions).DivRound(decimal.NewFromInt(r.Clicks), 4)
			r.ConversionRate = &rate
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
