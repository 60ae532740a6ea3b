package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ReportRow is one group of a report. Revenue is in the account's currency and
// adds only converted values; conversions still waiting for their rate are
// counted in Unconverted instead.
type ReportRow struct {
	Key            string            `json:"key"`   // the group's values joined by " / "
	Group          map[string]string `json:"group"` // dimension -> value
	Clicks         int64             `json:"clicks"`
	Pending        int64             `json:"pending"`
	Approved       int64             `json:"approved"`
	Rejected       int64             `json:"rejected"`
	Conversions    int64             `json:"conversions"`     // pending + approved
	Unconverted    int64             `json:"unconverted"`     // pending + approved without an account-currency value yet
	Revenue        decimal.Decimal   `json:"revenue"`         // pending + approved, account currency
	ConversionRate *decimal.Decimal  `json:"conversion_rate"` // conversions / clicks, 4 places; null without clicks
	EPC            *decimal.Decimal  `json:"epc"`             // revenue / clicks, 4 places; null without clicks
}

// dimension is one way to group or filter a report: its SQL over clicks (k, with
// campaign c) and over conversions (v). An empty click expression means clicks do
// not split that way (they carry no event, integration or status): a report
// grouped or filtered by it has no clicks, rate or EPC.
type dimension struct{ click, conv string }

// dayDimension groups by the local date (cheap to compare) and formats it only
// once per group, in the outer query: per-row formatting doubled a report's time.
const dayDimension = "day"

// ReportDimensions lists the dimensions in the order the API documents them.
var ReportDimensions = []string{"campaign", "traffic_source", "integration", "event", "status", "day",
	"sub1", "sub2", "sub3", "sub4", "sub5", "sub6", "sub7", "sub8", "sub9", "sub10",
	"country", "device_type", "os", "browser"}

var dimensions = func() map[string]dimension {
	m := map[string]dimension{
		"campaign":       {`coalesce(k.campaign_id::text, '')`, `coalesce(v.campaign_id::text, '')`},
		"traffic_source": {`coalesce(c.traffic_source, '')`, `v.traffic_source`},
		"integration":    {``, `v.integration`},
		"event":          {``, `v.event_name`},
		"status":         {``, `v.status`},
		// $4 is always the account's time zone.
		"day":         {`(k.created_at AT TIME ZONE $4)::date`, `(v.converted_at AT TIME ZONE $4)::date`},
		"country":     {`k.country`, `v.country`},
		"device_type": {`k.device_type`, `v.device_type`},
		"os":          {`k.os`, `v.os`},
		"browser":     {`k.browser`, `v.browser`},
	}
	for i := 1; i <= 10; i++ {
		n := "sub" + strconv.Itoa(i)
		m[n] = dimension{`coalesce(k.subs->>'` + n + `', '')`, `coalesce(v.subs->>'` + n + `', '')`}
	}
	return m
}()

// ValidReportDimension reports whether name can group or filter a report.
func ValidReportDimension(name string) bool { _, ok := dimensions[name]; return ok }

// ReportQuery selects a report: rows grouped by GroupBy (at least one dimension),
// between From (inclusive) and To (exclusive), days taken in TZ, narrowed by
// Filters (dimension -> exact value).
type ReportQuery struct {
	AccountID string
	GroupBy   []string
	From, To  time.Time
	TZ        string
	Currency  string // the account's: only values converted into it are added
	Filters   map[string]string
}

// build returns the inner SELECT list (g1, g2...), the outer one (text), WHERE
// additions, GROUP BY and arguments of one side (clicks or conversions), or ok
// false when clicks do not split this way.
func (q ReportQuery) build(clicks bool) (sel, outer, where, group string, args []any, ok bool) {
	args = []any{q.AccountID, q.From, q.To, q.TZ}
	pick := func(d dimension) string {
		if clicks {
			return d.click
		}
		return d.conv
	}
	var cols, outs, groups []string
	for i, g := range q.GroupBy {
		e := pick(dimensions[g])
		if e == "" {
			return "", "", "", "", nil, false
		}
		name := "g" + strconv.Itoa(i+1)
		cols = append(cols, e+" AS "+name)
		if g == dayDimension {
			name = "to_char(" + name + ", 'YYYY-MM-DD')"
		}
		outs = append(outs, name)
		groups = append(groups, strconv.Itoa(i+1))
	}
	names := make([]string, 0, len(q.Filters))
	for n := range q.Filters {
		names = append(names, n)
	}
	sort.Strings(names)
	var conds []string
	for _, n := range names {
		e := pick(dimensions[n])
		if e == "" {
			return "", "", "", "", nil, false
		}
		args = append(args, q.Filters[n])
		conds = append(conds, e+` = $`+strconv.Itoa(len(args)))
	}
	if len(conds) > 0 {
		where = " AND " + strings.Join(conds, " AND ")
	}
	return strings.Join(cols, ", "), strings.Join(outs, ", "), where, strings.Join(groups, ", "), args, true
}

// needsCampaign reports whether the clicks side must join campaigns (only the
// traffic source lives there).
func (q ReportQuery) needsCampaign() bool {
	if _, ok := q.Filters["traffic_source"]; ok {
		return true
	}
	for _, g := range q.GroupBy {
		if g == "traffic_source" {
			return true
		}
	}
	return false
}

// Report counts clicks and conversions by status with revenue in the account's
// currency, per group. Clicks and conversions are aggregated separately (each
// over its own table and time: click time, conversion time) and merged by group.
func (s *Store) Report(ctx context.Context, q ReportQuery) ([]ReportRow, error) {
	if len(q.GroupBy) == 0 {
		return nil, fmt.Errorf("report: no group_by")
	}
	for _, n := range q.GroupBy {
		if !ValidReportDimension(n) {
			return nil, fmt.Errorf("report: unknown dimension %q", n)
		}
	}
	for n := range q.Filters {
		if !ValidReportDimension(n) {
			return nil, fmt.Errorf("report: unknown dimension %q", n)
		}
	}
	rows := map[string]*ReportRow{}
	get := func(vals []string) *ReportRow {
		k := strings.Join(vals, "\x00")
		if r := rows[k]; r != nil {
			return r
		}
		r := &ReportRow{Key: strings.Join(vals, " / "), Group: map[string]string{}}
		for i, g := range q.GroupBy {
			r.Group[g] = vals[i]
		}
		rows[k] = r
		return r
	}
	n := len(q.GroupBy)
	withClicks := false
	if sel, outer, where, group, args, ok := q.build(true); ok {
		withClicks = true
		join := ""
		if q.needsCampaign() {
			join = ` LEFT JOIN campaigns c ON c.id = k.campaign_id`
		}
		// $4 (the time zone) is referenced only by the day dimension; the cast keeps
		// its type known when it is not.
		rs, err := s.Pool.Query(ctx, `SELECT `+outer+`, n FROM (SELECT `+sel+`, count(*) AS n FROM clicks k`+join+`
			WHERE k.account_id = $1 AND k.created_at >= $2 AND k.created_at < $3 AND $4::text IS NOT NULL`+where+`
			GROUP BY `+group+`) x`, args...)
		if err != nil {
			return nil, fmt.Errorf("report clicks: %w", err)
		}
		for rs.Next() {
			vals := make([]string, n)
			var count int64
			dst := make([]any, 0, n+1)
			for i := range vals {
				dst = append(dst, &vals[i])
			}
			if err := rs.Scan(append(dst, &count)...); err != nil {
				rs.Close()
				return nil, fmt.Errorf("report clicks: %w", err)
			}
			get(vals).Clicks = count
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, fmt.Errorf("report clicks: %w", err)
		}
	}
	sel, outer, where, group, args, _ := q.build(false)
	args = append(args, q.Currency)
	cur := `$` + strconv.Itoa(len(args))
	converted := `v.status <> 'rejected' AND v.value_account IS NOT NULL AND v.account_currency = ` + cur
	rs, err := s.Pool.Query(ctx, `SELECT `+outer+`, p, a, r, u, rev FROM (SELECT `+sel+`,
			count(*) FILTER (WHERE v.status = 'pending') AS p, count(*) FILTER (WHERE v.status = 'approved') AS a,
			count(*) FILTER (WHERE v.status = 'rejected') AS r,
			count(*) FILTER (WHERE v.status <> 'rejected' AND NOT (`+converted+`)) AS u,
			coalesce(sum(v.value_account) FILTER (WHERE `+converted+`), 0) AS rev
		FROM conversions v WHERE v.account_id = $1 AND v.converted_at >= $2 AND v.converted_at < $3 AND $4::text IS NOT NULL`+where+`
		GROUP BY `+group+`) x`, args...)
	if err != nil {
		return nil, fmt.Errorf("report conversions: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		vals := make([]string, n)
		var p, a, r, u int64
		var rev decimal.Decimal
		dst := make([]any, 0, n+5)
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		if err := rs.Scan(append(dst, &p, &a, &r, &u, &rev)...); err != nil {
			return nil, fmt.Errorf("report conversions: %w", err)
		}
		row := get(vals)
		row.Pending, row.Approved, row.Rejected, row.Unconverted, row.Revenue = p, a, r, u, rev
		row.Conversions = p + a
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("report conversions: %w", err)
	}
	out := make([]ReportRow, 0, len(rows))
	for _, r := range rows {
		if withClicks && r.Clicks > 0 {
			clicks := decimal.NewFromInt(r.Clicks)
			rate := decimal.NewFromInt(r.Conversions).DivRound(clicks, 4)
			epc := r.Revenue.DivRound(clicks, 4)
			r.ConversionRate, r.EPC = &rate, &epc
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		for _, g := range q.GroupBy {
			if a, b := out[i].Group[g], out[j].Group[g]; a != b {
				return a < b
			}
		}
		return false
	})
	return out, nil
}
