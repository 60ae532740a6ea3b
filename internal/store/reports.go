package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
	// Cost is what the group's clicks cost, in the account's currency (see
	// migration 018); null when the report's dimensions do not split clicks
	// (event, integration, status), and so are Profit, ROI and CPA.
	Cost   *decimal.Decimal `json:"cost"`
	Profit *decimal.Decimal `json:"profit"` // revenue - cost
	ROI    *decimal.Decimal `json:"roi"`    // profit / cost, 4 places; null when cost is 0
	CPA    *decimal.Decimal `json:"cpa"`    // cost / conversions, 4 places; null without conversions
}

// profit fills Profit, ROI and CPA from Cost, Revenue and Conversions (a group
// with conversions but no clicks has a cost of 0).
func (r *ReportRow) profit() {
	if r.Cost == nil {
		zero := decimal.Zero
		r.Cost = &zero
	}
	p := r.Revenue.Sub(*r.Cost)
	r.Profit = &p
	if !r.Cost.IsZero() {
		roi := p.DivRound(*r.Cost, 4)
		r.ROI = &roi
	}
	if r.Conversions > 0 {
		cpa := r.Cost.DivRound(decimal.NewFromInt(r.Conversions), 4)
		r.CPA = &cpa
	}
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

// countedDimensions are the dimensions the report counts keep (migration 009),
// over click_counts (k, with campaign c) and conversion_counts (v). A report that
// groups and filters by these alone reads the counts; the others read the rows.
var countedDimensions = map[string]dimension{
	"campaign":       {`coalesce(nullif(k.campaign_id, 0)::text, '')`, `coalesce(nullif(v.campaign_id, 0)::text, '')`},
	"traffic_source": {`coalesce(c.traffic_source, '')`, `v.traffic_source`},
	"integration":    {``, `v.integration`},
	"event":          {``, `v.event_name`},
	"status":         {``, `v.status`},
	"day":            {`(k.bucket AT TIME ZONE $4)::date`, `(v.bucket AT TIME ZONE $4)::date`},
}

// countFamily is one set of report count tables: the dimensions it keeps (over
// its click table as k, with campaign c, and its conversion table as v) and the
// key columns of each table besides account and bucket.
type countFamily struct {
	name                  string
	clickTable, convTable string
	clickKeys, convKeys   string
	dims                  map[string]dimension
	// days: the family also keeps UTC days in <table>_days (migration 011), and
	// its quarter-hour tables mark rows renamed by erasure.
	days bool
}

// withDims is countedDimensions' campaign, traffic source, status and day, plus more.
func withDims(more map[string]dimension) map[string]dimension {
	m := map[string]dimension{}
	for _, n := range []string{"campaign", "traffic_source", "status", "day"} {
		m[n] = countedDimensions[n]
	}
	for n, d := range more {
		m[n] = d
	}
	return m
}

// countFamilies are read in this order: the first that keeps every dimension a
// report groups and filters by answers it. Migration 009 keeps the common
// shapes; 011 adds sub1, and country x device type, in tables of their own.
var countFamilies = []countFamily{
	{name: "counts", clickTable: "click_counts", convTable: "conversion_counts", clickKeys: "campaign_id",
		convKeys: "campaign_id, traffic_source, integration, event_name, status, account_currency", dims: countedDimensions},
	{name: "sub1", clickTable: "click_counts_sub1", convTable: "conversion_counts_sub1", clickKeys: "campaign_id, sub1",
		convKeys: "campaign_id, traffic_source, status, account_currency, sub1", days: true,
		dims: withDims(map[string]dimension{"sub1": {`k.sub1`, `v.sub1`}})},
	{name: "geo", clickTable: "click_counts_geo", convTable: "conversion_counts_geo", clickKeys: "campaign_id, country, device_type",
		convKeys: "campaign_id, traffic_source, status, account_currency, country, device_type", days: true,
		dims: withDims(map[string]dimension{"country": {`k.country`, `v.country`}, "device_type": {`k.device_type`, `v.device_type`}})},
}

// sql fills a report template's {click_counts}, {click_keys}, {conversion_counts}
// and {conversion_keys} with the family's.
func (f countFamily) sql(tmpl string) string {
	return strings.NewReplacer("{click_counts}", f.clickTable, "{click_keys}", f.clickKeys,
		"{conversion_counts}", f.convTable, "{conversion_keys}", f.convKeys).Replace(tmpl)
}

// readSQL is a count-reading template for q: with the family's days, whole UTC
// days inside the range come from <table>_days and only the quarter hours around
// them (and the rows of changes not folded yet, except renamed ones already in
// their day) from the quarter-hour table. A report grouped by day reads quarter
// hours only.
func (f countFamily) readSQL(tmpl string, q ReportQuery) string {
	from, to := dayCeil(q.From), q.To.UTC().Truncate(24*time.Hour)
	if !f.days || !from.Before(to) || slices.Contains(q.GroupBy, dayDimension) {
		return f.sql(strings.NewReplacer("{folded_to}", "$3", "{click_folded_after}", "", "{conversion_folded_after}", "",
			"{fresh_cond}", "", "{click_days}", "", "{conversion_days}", "").Replace(tmpl))
	}
	// Folded quarter hours before the first whole day and after the last: two
	// index ranges.
	lit := func(t time.Time) string { return "'" + t.Format(time.RFC3339) + "'::timestamptz" }
	in := "bucket >= " + lit(from) + " AND bucket < " + lit(to)
	return f.sql(strings.NewReplacer(
		"{folded_to}", lit(from),
		"{click_folded_after}", `
			UNION ALL
			SELECT `+clickCountColumns+` FROM {click_counts} WHERE account_id = $1 AND folded AND bucket >= `+lit(to)+` AND bucket < $3`,
		"{conversion_folded_after}", `
			UNION ALL
			SELECT `+conversionCountColumns+` FROM {conversion_counts}
				WHERE account_id = $1 AND folded AND bucket >= `+lit(to)+` AND bucket < $3`,
		"{fresh_cond}", " AND NOT (renamed AND "+in+")",
		"{click_days}", `
			UNION ALL
			SELECT `+clickCountColumns+` FROM {click_counts}_days WHERE account_id = $1 AND `+in,
		"{conversion_days}", `
			UNION ALL
			SELECT `+conversionCountColumns+` FROM {conversion_counts}_days WHERE account_id = $1 AND `+in,
	).Replace(tmpl))
}

// dayCeil is the first UTC midnight at or after t.
func dayCeil(t time.Time) time.Time {
	d := t.UTC().Truncate(24 * time.Hour)
	if d.Before(t) {
		d = d.Add(24 * time.Hour)
	}
	return d
}

// countBucket is the counts' time grain: a report reads them only when its range
// starts and ends on a bucket boundary (always, for local midnights of zones in
// use since 1972).
const countBucket = 15 * time.Minute

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

// counted reports whether the report can be read from report counts: the range
// is whole buckets and one family keeps every dimension it groups or filters by.
func (q ReportQuery) counted() bool { return q.family() != nil }

// Reads names what Report reads for q: a report count family ("counts" of
// migration 009, "sub1" or "geo" of 011) or "rows".
func (q ReportQuery) Reads() string {
	if f := q.family(); f != nil {
		return f.name
	}
	return "rows"
}

// family is the first count family that answers q, or nil: q reads the rows.
func (q ReportQuery) family() *countFamily {
	if q.From.Unix()%int64(countBucket/time.Second) != 0 || q.To.Unix()%int64(countBucket/time.Second) != 0 ||
		q.From.Nanosecond() != 0 || q.To.Nanosecond() != 0 {
		return nil
	}
	for i := range countFamilies {
		f := &countFamilies[i]
		keeps := true
		for _, g := range q.GroupBy {
			if _, ok := f.dims[g]; !ok {
				keeps = false
			}
		}
		for n := range q.Filters {
			if _, ok := f.dims[n]; !ok {
				keeps = false
			}
		}
		if keeps {
			return f
		}
	}
	return nil
}

// build returns the inner SELECT list (g1, g2...), the outer one (text), WHERE
// additions, GROUP BY and arguments of one side (clicks or conversions), or ok
// false when clicks do not split this way. dims is dimensions or
// countedDimensions: what the side reads.
func (q ReportQuery) build(clicks bool, dims map[string]dimension) (sel, outer, where, group string, args []any, ok bool) {
	args = []any{q.AccountID, q.From, q.To, q.TZ}
	pick := func(d dimension) string {
		if clicks {
			return d.click
		}
		return d.conv
	}
	var cols, outs, groups []string
	for i, g := range q.GroupBy {
		e := pick(dims[g])
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
		e := pick(dims[n])
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

// The SQL of each side of a report, read from the rows or from the counts. $1
// is the account, [$2, $3) the range, $4 the time zone (referenced only by the day
// dimension; the cast keeps its type known when it is not); JOIN, WHERE and the
// currency's placeholder are filled in.
const (
	clicksFromRows = `SELECT %[1]s, n, cost FROM (SELECT %[2]s, count(*) AS n, coalesce(sum(k.cost), 0) AS cost FROM clicks k%[3]s
		WHERE k.account_id = $1 AND k.created_at >= $2 AND k.created_at < $3 AND $4::text IS NOT NULL%[4]s
		GROUP BY %[5]s) x`
	clicksFromCounts = `SELECT %[1]s, n, cost FROM (SELECT %[2]s, sum(k.clicks)::bigint AS n, sum(k.cost) AS cost FROM (
			SELECT ` + clickCountColumns + ` FROM {click_counts} WHERE account_id = $1 AND folded AND bucket >= $2 AND bucket < {folded_to}{click_folded_after}
			UNION ALL
			SELECT ` + clickCountColumns + ` FROM {click_counts} WHERE account_id = $1 AND NOT folded AND bucket >= $2 AND bucket < $3{fresh_cond}{click_days}
		) k%[3]s
		WHERE $4::text IS NOT NULL%[4]s
		GROUP BY %[5]s HAVING sum(k.clicks) <> 0 OR sum(k.cost) <> 0) x`
	// A conversion is converted when it has a value in the account's currency
	// (%[6]s); revenue adds those of pending and approved ones, the others of
	// those are unconverted.
	conversionsFromRows = `SELECT %[1]s, p, a, r, u, rev FROM (SELECT %[2]s,
			count(*) FILTER (WHERE v.status = 'pending') AS p, count(*) FILTER (WHERE v.status = 'approved') AS a,
			count(*) FILTER (WHERE v.status = 'rejected') AS r,
			count(*) FILTER (WHERE v.status <> 'rejected' AND NOT (v.status <> 'rejected' AND v.value_account IS NOT NULL AND v.account_currency = %[6]s)) AS u,
			coalesce(sum(v.value_account) FILTER (WHERE v.status <> 'rejected' AND v.value_account IS NOT NULL AND v.account_currency = %[6]s), 0) AS rev
		FROM conversions v WHERE v.account_id = $1 AND v.converted_at >= $2 AND v.converted_at < $3 AND $4::text IS NOT NULL%[4]s
		GROUP BY %[5]s) x`
	// The same from the counts. A converted count whose currency is not set ('')
	// is left out of unconverted as the rows' NULL comparison leaves it out.
	conversionsFromCounts = `SELECT %[1]s, p, a, r, u, rev FROM (SELECT %[2]s,
			coalesce(sum(v.conversions) FILTER (WHERE v.status = 'pending'), 0)::bigint AS p,
			coalesce(sum(v.conversions) FILTER (WHERE v.status = 'approved'), 0)::bigint AS a,
			coalesce(sum(v.conversions) FILTER (WHERE v.status = 'rejected'), 0)::bigint AS r,
			(coalesce(sum(v.conversions) FILTER (WHERE v.status <> 'rejected'), 0)
				- coalesce(sum(v.converted) FILTER (WHERE v.status <> 'rejected' AND (v.account_currency = %[6]s OR v.account_currency = '')), 0))::bigint AS u,
			coalesce(sum(v.value_account) FILTER (WHERE v.status <> 'rejected' AND v.account_currency = %[6]s), 0) AS rev
		FROM (
			SELECT ` + conversionCountColumns + ` FROM {conversion_counts}
				WHERE account_id = $1 AND folded AND bucket >= $2 AND bucket < {folded_to}{conversion_folded_after}
			UNION ALL
			SELECT ` + conversionCountColumns + ` FROM {conversion_counts}
				WHERE account_id = $1 AND NOT folded AND bucket >= $2 AND bucket < $3{fresh_cond}{conversion_days}
		) v WHERE $4::text IS NOT NULL%[4]s
		GROUP BY %[5]s HAVING sum(v.conversions) <> 0) x`
	conversionCountColumns = `bucket, {conversion_keys}, conversions, converted, value_account`
	clickCountColumns      = `bucket, {click_keys}, clicks, cost`
)

// Report counts clicks and conversions by status with revenue in the account's
// currency, per group. Clicks and conversions are aggregated separately (each
// over its own table and time: click time, conversion time) and merged by group.
// A report by counted dimensions over whole buckets reads the report counts (see
// migrations 009 and 011, countFamilies) and gives what the rows give; any other
// reads the rows.
func (s *Store) Report(ctx context.Context, q ReportQuery) ([]ReportRow, error) {
	return s.report(ctx, q, true, true)
}

// report reads the counts when useCounts and q allows, folding them first when fold.
func (s *Store) report(ctx context.Context, q ReportQuery, useCounts, fold bool) ([]ReportRow, error) {
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
	clicksSQL, conversionsSQL, dims := clicksFromRows, conversionsFromRows, dimensions
	if f := q.family(); useCounts && f != nil {
		if fold {
			if err := s.foldReportCounts(ctx, q.AccountID, *f); err != nil {
				return nil, err
			}
		}
		clicksSQL, conversionsSQL, dims = f.readSQL(clicksFromCounts, q), f.readSQL(conversionsFromCounts, q), f.dims
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
	if sel, outer, where, group, args, ok := q.build(true, dims); ok {
		withClicks = true
		join := ""
		if q.needsCampaign() {
			join = ` LEFT JOIN campaigns c ON c.id = k.campaign_id`
		}
		rs, err := s.Pool.Query(ctx, fmt.Sprintf(clicksSQL, outer, sel, join, where, group), args...)
		if err != nil {
			return nil, fmt.Errorf("report clicks: %w", err)
		}
		for rs.Next() {
			vals := make([]string, n)
			var count int64
			var cost decimal.Decimal
			dst := make([]any, 0, n+2)
			for i := range vals {
				dst = append(dst, &vals[i])
			}
			if err := rs.Scan(append(dst, &count, &cost)...); err != nil {
				rs.Close()
				return nil, fmt.Errorf("report clicks: %w", err)
			}
			row := get(vals)
			row.Clicks, row.Cost = count, &cost
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, fmt.Errorf("report clicks: %w", err)
		}
	}
	sel, outer, where, group, args, _ := q.build(false, dims)
	args = append(args, q.Currency)
	cur := `$` + strconv.Itoa(len(args))
	rs, err := s.Pool.Query(ctx, fmt.Sprintf(conversionsSQL, outer, sel, "", where, group, cur), args...)
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
		if withClicks {
			r.profit()
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

// reportFoldLock keys the advisory lock that lets one fold of an account run at a time.
const reportFoldLock = 7261_0007

// FoldReportCounts folds the rows of changes the triggers appended for an account
// into one folded row per key, in every count family, so reads stay short. It is
// only ever a speed-up: when another fold of the account is running it returns at
// once.
func (s *Store) FoldReportCounts(ctx context.Context, accountID string) error {
	for _, f := range countFamilies {
		if err := s.foldReportCounts(ctx, accountID, f); err != nil {
			return err
		}
	}
	return nil
}

// foldReportCounts folds one family's counts of an account.
func (s *Store) foldReportCounts(ctx context.Context, accountID string, f countFamily) error {
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var mine bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1, hashtext($2))`, reportFoldLock, f.name+"/"+accountID).Scan(&mine); err != nil || !mine {
			return err
		}
		clickFold, convFold := clickFoldSQL, conversionFoldSQL
		if f.days {
			clickFold, convFold = clickFoldDaysSQL, conversionFoldDaysSQL
		}
		if _, err := tx.Exec(ctx, f.sql(clickFold), accountID); err != nil {
			return fmt.Errorf("clicks: %w", err)
		}
		if _, err := tx.Exec(ctx, f.sql(convFold), accountID); err != nil {
			return fmt.Errorf("conversions: %w", err)
		}
		if f.days {
			if _, err := tx.Exec(ctx, f.sql(clickDaysMergeSQL), accountID); err != nil {
				return fmt.Errorf("click days: %w", err)
			}
			if _, err := tx.Exec(ctx, f.sql(conversionDaysMergeSQL), accountID); err != nil {
				return fmt.Errorf("conversion days: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fold report %s of %s: %w", f.name, accountID, err)
	}
	return nil
}

// The folds of a family's rows of changes ($1 the account): into their quarter
// hours and, for a family with days, into their UTC days too (except rows erasure
// renamed: their amount is in their day already); then a day's rows erasure
// renamed are merged into the folded ones.
const (
	clickFoldSQL = `WITH fresh AS (
			DELETE FROM {click_counts} WHERE account_id = $1 AND NOT folded RETURNING ` + clickCountColumns + `
		)
		INSERT INTO {click_counts} (account_id, bucket, {click_keys}, clicks, cost, folded)
		SELECT $1, bucket, {click_keys}, sum(clicks), sum(cost), true FROM fresh GROUP BY bucket, {click_keys}
		ON CONFLICT (account_id, bucket, {click_keys}) WHERE folded
		DO UPDATE SET clicks = {click_counts}.clicks + EXCLUDED.clicks, cost = {click_counts}.cost + EXCLUDED.cost`
	conversionFoldSQL = `WITH fresh AS (
			DELETE FROM {conversion_counts} WHERE account_id = $1 AND NOT folded
			RETURNING ` + conversionCountColumns + `
		)
		INSERT INTO {conversion_counts} (account_id, bucket, {conversion_keys}, conversions, converted, value_account, folded)
		SELECT $1, bucket, {conversion_keys}, sum(conversions), sum(converted), sum(value_account), true
		FROM fresh GROUP BY bucket, {conversion_keys}
		ON CONFLICT (account_id, bucket, {conversion_keys}) WHERE folded
		DO UPDATE SET conversions = {conversion_counts}.conversions + EXCLUDED.conversions,
			converted = {conversion_counts}.converted + EXCLUDED.converted,
			value_account = {conversion_counts}.value_account + EXCLUDED.value_account`
	utcDay           = `date_bin('1 day', bucket, timestamptz '2000-01-01 00:00:00+00')`
	clickFoldDaysSQL = `WITH fresh AS (
			DELETE FROM {click_counts} WHERE account_id = $1 AND NOT folded RETURNING ` + clickCountColumns + `, renamed
		), quarters AS (
			INSERT INTO {click_counts} (account_id, bucket, {click_keys}, clicks, cost, folded)
			SELECT $1, bucket, {click_keys}, sum(clicks), sum(cost), true FROM fresh GROUP BY bucket, {click_keys}
			ON CONFLICT (account_id, bucket, {click_keys}) WHERE folded
			DO UPDATE SET clicks = {click_counts}.clicks + EXCLUDED.clicks, cost = {click_counts}.cost + EXCLUDED.cost
		)
		INSERT INTO {click_counts}_days (account_id, bucket, {click_keys}, clicks, cost, folded)
		SELECT $1, day, {click_keys}, sum(clicks), sum(cost), true
		FROM (SELECT ` + utcDay + ` AS day, {click_keys}, clicks, cost FROM fresh WHERE NOT renamed) d
		GROUP BY day, {click_keys}
		ON CONFLICT (account_id, bucket, {click_keys}) WHERE folded
		DO UPDATE SET clicks = {click_counts}_days.clicks + EXCLUDED.clicks, cost = {click_counts}_days.cost + EXCLUDED.cost`
	conversionFoldDaysSQL = `WITH fresh AS (
			DELETE FROM {conversion_counts} WHERE account_id = $1 AND NOT folded
			RETURNING ` + conversionCountColumns + `, renamed
		), quarters AS (
			INSERT INTO {conversion_counts} (account_id, bucket, {conversion_keys}, conversions, converted, value_account, folded)
			SELECT $1, bucket, {conversion_keys}, sum(conversions), sum(converted), sum(value_account), true
			FROM fresh GROUP BY bucket, {conversion_keys}
			ON CONFLICT (account_id, bucket, {conversion_keys}) WHERE folded
			DO UPDATE SET conversions = {conversion_counts}.conversions + EXCLUDED.conversions,
				converted = {conversion_counts}.converted + EXCLUDED.converted,
				value_account = {conversion_counts}.value_account + EXCLUDED.value_account
		)
		INSERT INTO {conversion_counts}_days (account_id, bucket, {conversion_keys}, conversions, converted, value_account, folded)
		SELECT $1, day, {conversion_keys}, sum(conversions), sum(converted), sum(value_account), true
		FROM (SELECT ` + utcDay + ` AS day, {conversion_keys}, conversions, converted, value_account FROM fresh WHERE NOT renamed) d
		GROUP BY day, {conversion_keys}
		ON CONFLICT (account_id, bucket, {conversion_keys}) WHERE folded
		DO UPDATE SET conversions = {conversion_counts}_days.conversions + EXCLUDED.conversions,
			converted = {conversion_counts}_days.converted + EXCLUDED.converted,
			value_account = {conversion_counts}_days.value_account + EXCLUDED.value_account`
	clickDaysMergeSQL = `WITH renamed AS (
			DELETE FROM {click_counts}_days WHERE account_id = $1 AND NOT folded RETURNING ` + clickCountColumns + `
		)
		INSERT INTO {click_counts}_days (account_id, bucket, {click_keys}, clicks, cost, folded)
		SELECT $1, bucket, {click_keys}, sum(clicks), sum(cost), true FROM renamed GROUP BY bucket, {click_keys}
		ON CONFLICT (account_id, bucket, {click_keys}) WHERE folded
		DO UPDATE SET clicks = {click_counts}_days.clicks + EXCLUDED.clicks, cost = {click_counts}_days.cost + EXCLUDED.cost`
	conversionDaysMergeSQL = `WITH renamed AS (
			DELETE FROM {conversion_counts}_days WHERE account_id = $1 AND NOT folded RETURNING ` + conversionCountColumns + `
		)
		INSERT INTO {conversion_counts}_days (account_id, bucket, {conversion_keys}, conversions, converted, value_account, folded)
		SELECT $1, bucket, {conversion_keys}, sum(conversions), sum(converted), sum(value_account), true
		FROM renamed GROUP BY bucket, {conversion_keys}
		ON CONFLICT (account_id, bucket, {conversion_keys}) WHERE folded
		DO UPDATE SET conversions = {conversion_counts}_days.conversions + EXCLUDED.conversions,
			converted = {conversion_counts}_days.converted + EXCLUDED.converted,
			value_account = {conversion_counts}_days.value_account + EXCLUDED.value_account`
)

// FoldAllReportCounts folds the report counts of every account that has rows of
// changes waiting, and returns how many accounts it looked at. The API runs it
// every minute, so the appended rows stay a few minutes' worth even for an
// account whose reports nobody opens.
func (s *Store) FoldAllReportCounts(ctx context.Context) (int, error) {
	var union []string
	for _, f := range countFamilies {
		union = append(union, f.sql(`SELECT account_id FROM {click_counts} WHERE NOT folded
		UNION SELECT account_id FROM {conversion_counts} WHERE NOT folded`))
		if f.days {
			union = append(union, f.sql(`SELECT account_id FROM {click_counts}_days WHERE NOT folded
		UNION SELECT account_id FROM {conversion_counts}_days WHERE NOT folded`))
		}
	}
	rows, err := s.Pool.Query(ctx, strings.Join(union, "\n\t\tUNION "))
	if err != nil {
		return 0, fmt.Errorf("fold report counts: %w", err)
	}
	accounts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("fold report counts: %w", err)
	}
	for _, a := range accounts {
		if err := s.FoldReportCounts(ctx, a); err != nil {
			return 0, err
		}
	}
	return len(accounts), nil
}
