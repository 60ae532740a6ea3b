package admin

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/store"
)

// reportParams are the query parameters of a report that are not filters.
var reportParams = map[string]bool{"group_by": true, "from": true, "to": true, "format": true, "sort": true, "dir": true}

// ReportRequest asks for a report: groupings, filters by dimension, and dates
// (YYYY-MM-DD in the account's time zone, To inclusive; empty: the last 30 days),
// and an order: Sort (a figure of ReportSortColumns or a grouped dimension;
// empty: by the groups) and Dir (asc or desc).
type ReportRequest struct {
	GroupBy   []string
	Filters   map[string]string
	From, To  string
	Sort, Dir string
}

// ReportRequestFrom reads a report request from query parameters: group_by
// (comma-separated, default defaultGroup), from, to, sort, dir, and any
// dimension as a filter. Other parameters (format) are the adapter's.
func ReportRequestFrom(q url.Values, defaultGroup string) (ReportRequest, error) {
	r := ReportRequest{Filters: map[string]string{}, From: q.Get("from"), To: q.Get("to")}
	group := q.Get("group_by")
	if group == "" {
		group = defaultGroup
	}
	for _, g := range strings.Split(group, ",") {
		g = strings.TrimSpace(g)
		if !store.ValidReportDimension(g) {
			return r, Invalid("group_by", "group_by takes a comma-separated list of "+strings.Join(store.ReportDimensions, ", "))
		}
		for _, seen := range r.GroupBy {
			if seen == g {
				return r, Invalid("group_by", "group_by names "+g+" twice")
			}
		}
		r.GroupBy = append(r.GroupBy, g)
	}
	for name, vals := range q {
		if reportParams[name] {
			continue
		}
		if !store.ValidReportDimension(name) {
			return r, Invalid(name, "unknown parameter "+intake.Quote(name)+": filters are "+strings.Join(store.ReportDimensions, ", "))
		}
		r.Filters[name] = vals[0]
	}
	var err error
	r.Sort, r.Dir, err = reportSort(strings.TrimSpace(q.Get("sort")), strings.TrimSpace(q.Get("dir")), r.GroupBy)
	return r, err
}

// Report is a report's rows with what they mean: the range shown (To inclusive),
// the time zone of its days, the currency of its money, and the order of its
// rows (Sort and Dir; empty Sort: by the groups).
type Report struct {
	GroupBy   []string
	Sort, Dir string
	Filters   map[string]string
	From, To  time.Time // local midnight; To is the last day shown
	Location  *time.Location
	Currency  string
	Rows      []store.ReportRow
}

// Report counts clicks, conversions and revenue (in the account's currency)
// by the requested dimensions.
//
// A principal scoped to campaigns sees its campaigns only: its one campaign is
// the filter; with several, the request must name one of them.
func (s *Service) Report(ctx context.Context, account string, req ReportRequest) (Report, error) {
	p, err := s.authorize(ctx, account, ActReports)
	if err != nil {
		return Report{}, err
	}
	if p.Scoped() {
		if req.Filters == nil {
			req.Filters = map[string]string{}
		}
		c, given := req.Filters["campaign"]
		switch {
		case !given && len(p.Campaigns) == 1:
			req.Filters["campaign"] = strconv.FormatInt(p.Campaigns[0], 10)
		case !given:
			return Report{}, refuse(KindForbidden, "you see some campaigns only: name one with campaign=")
		default:
			id, err := strconv.ParseInt(c, 10, 64)
			if err != nil || !p.InScope(&id) {
				return Report{}, refuse(KindForbidden, "campaign "+c+" is outside your scope")
			}
		}
	}
	acct, err := s.Accounts.Account(ctx, account)
	if err != nil {
		return Report{}, fromStore("account", err)
	}
	loc, err := time.LoadLocation(acct.Timezone)
	if err != nil {
		loc = time.UTC // settings validate the zone; an old row may predate that
	}
	from, to, err := DateRange(req.From, req.To, loc, 30, time.Now())
	if err != nil {
		return Report{}, err
	}
	q := store.ReportQuery{AccountID: acct.ID, GroupBy: req.GroupBy, Filters: req.Filters, From: from, To: to,
		TZ: loc.String(), Currency: acct.Currency}
	if q.Filters == nil {
		q.Filters = map[string]string{}
	}
	release, err := s.reportSlot(ctx)
	if err != nil {
		return Report{}, err
	}
	defer release()
	rctx, cancel := context.WithTimeout(ctx, reportTimeout)
	defer cancel()
	rows, err := s.Store.Report(rctx, q)
	if err != nil {
		return Report{}, reportFailure(err)
	}
	if !p.SeesPersonalData() {
		// A sub can carry an email: grouped by it, the row shows it masked.
		for i := range rows {
			changed := false
			for dim, v := range rows[i].Group {
				if m := maskIfPersonal(dim, v); m != v {
					rows[i].Group[dim], changed = m, true
				}
			}
			if changed {
				parts := make([]string, len(q.GroupBy))
				for j, dim := range q.GroupBy {
					parts[j] = rows[i].Group[dim]
				}
				rows[i].Key = strings.Join(parts, " / ")
			}
		}
	}
	sortReport(rows, req.Sort, req.Dir)
	return Report{GroupBy: q.GroupBy, Sort: req.Sort, Dir: req.Dir, Filters: q.Filters, From: from, To: to.AddDate(0, 0, -1),
		Location: loc, Currency: acct.Currency, Rows: rows}, nil
}

// DateRange reads from and to (YYYY-MM-DD in loc, to inclusive) into [from, to).
// Without them: the last days days including today, or, with days 0, no bound.
func DateRange(fromText, toText string, loc *time.Location, days int, now time.Time) (from, to time.Time, err error) {
	today := now.In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	from, to = today.AddDate(0, 0, 1-days), today.AddDate(0, 0, 1)
	if days == 0 {
		from, to = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if fromText != "" {
		if from, err = time.ParseInLocation(time.DateOnly, fromText, loc); err != nil {
			return from, to, Invalid("from", "from must be a date like 2026-01-31")
		}
	}
	if toText != "" {
		t, err := time.ParseInLocation(time.DateOnly, toText, loc)
		if err != nil {
			return from, to, Invalid("to", "to must be a date like 2026-01-31")
		}
		to = t.AddDate(0, 0, 1)
	}
	if !from.Before(to) {
		return from, to, Invalid("from", "from must not be after to")
	}
	return from, to, nil
}
