package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
)

// reportParams are the query parameters of /reports that are not filters.
var reportParams = map[string]bool{"group_by": true, "from": true, "to": true, "format": true}

// dateRange reads from and to (YYYY-MM-DD in the account's time zone, to
// inclusive) into [from, to). Without them: the last 'days' days including today,
// or, with days 0, no bound.
func dateRange(c *gin.Context, loc *time.Location, days int) (from, to time.Time, ok bool) {
	today := time.Now().In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	from, to = today.AddDate(0, 0, 1-days), today.AddDate(0, 0, 1)
	if days == 0 {
		from, to = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	var err error
	if v := c.Query("from"); v != "" {
		if from, err = time.ParseInLocation(time.DateOnly, v, loc); err != nil {
			fail(c, http.StatusBadRequest, "from must be a date like 2026-01-31")
			return from, to, false
		}
	}
	if v := c.Query("to"); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			fail(c, http.StatusBadRequest, "to must be a date like 2026-01-31")
			return from, to, false
		}
		to = t.AddDate(0, 0, 1)
	}
	if !from.Before(to) {
		fail(c, http.StatusBadRequest, "from must not be after to")
		return from, to, false
	}
	return from, to, true
}

// accountLocation loads the account and its time zone.
func (s *server) accountLocation(c *gin.Context) (store.Account, *time.Location, bool) {
	acct, err := s.Store.GetAccount(c.Request.Context(), c.Param("account"))
	if err != nil {
		s.failErr(c, "account", err)
		return acct, nil, false
	}
	loc, err := time.LoadLocation(acct.Timezone)
	if err != nil {
		loc = time.UTC // settings validate the zone; an old row may predate that
	}
	return acct, loc, true
}

// report is GET /v1/accounts/{account}/reports?group_by=a,b&from=&to=&<dimension>=<value>...
// Dates are YYYY-MM-DD in the account's time zone (to inclusive; default the last
// 30 days). format=csv streams the same rows as CSV.
func (s *server) report(c *gin.Context) {
	q := store.ReportQuery{Filters: map[string]string{}}
	for _, g := range strings.Split(c.DefaultQuery("group_by", "campaign"), ",") {
		g = strings.TrimSpace(g)
		if !store.ValidReportDimension(g) {
			fail(c, http.StatusBadRequest, "group_by takes a comma-separated list of "+strings.Join(store.ReportDimensions, ", "))
			return
		}
		for _, seen := range q.GroupBy {
			if seen == g {
				fail(c, http.StatusBadRequest, "group_by names "+g+" twice")
				return
			}
		}
		q.GroupBy = append(q.GroupBy, g)
	}
	for name, vals := range c.Request.URL.Query() {
		if reportParams[name] {
			continue
		}
		if !store.ValidReportDimension(name) {
			fail(c, http.StatusBadRequest, "unknown parameter "+quote(name)+": filters are "+strings.Join(store.ReportDimensions, ", "))
			return
		}
		q.Filters[name] = vals[0]
	}
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "csv" {
		fail(c, http.StatusBadRequest, "format must be json or csv")
		return
	}
	acct, loc, ok := s.accountLocation(c)
	if !ok {
		return
	}
	from, to, ok := dateRange(c, loc, 30)
	if !ok {
		return
	}
	q.AccountID, q.From, q.To, q.TZ, q.Currency = acct.ID, from, to, loc.String(), acct.Currency
	rows, err := s.Store.Report(c.Request.Context(), q)
	if err != nil {
		s.failErr(c, "report", err)
		return
	}
	if format == "csv" {
		s.reportCSV(c, q, rows)
		return
	}
	out := apiReport{GroupBy: q.GroupBy, Filters: q.Filters, From: from.Format(time.DateOnly), To: to.AddDate(0, 0, -1).Format(time.DateOnly),
		Timezone: loc.String(), Currency: acct.Currency, Rows: make([]apiReportRow, 0, len(rows))}
	for _, r := range rows {
		out.Rows = append(out.Rows, newAPIReportRow(r))
	}
	c.JSON(http.StatusOK, out)
}

func (s *server) reportCSV(c *gin.Context, q store.ReportQuery, rows []store.ReportRow) {
	header := append(append([]string{}, q.GroupBy...), "clicks", "pending", "approved", "rejected", "conversions",
		"unconverted", "revenue", "currency", "conversion_rate", "epc")
	w := startCSV(c, "report.csv", header)
	optional := func(d interface{ String() string }, ok bool) string {
		if !ok {
			return ""
		}
		return d.String()
	}
	for _, r := range rows {
		rec := make([]string, 0, len(header))
		for _, g := range q.GroupBy {
			rec = append(rec, r.Group[g])
		}
		rec = append(rec, strconv.FormatInt(r.Clicks, 10), strconv.FormatInt(r.Pending, 10), strconv.FormatInt(r.Approved, 10),
			strconv.FormatInt(r.Rejected, 10), strconv.FormatInt(r.Conversions, 10), strconv.FormatInt(r.Unconverted, 10),
			r.Revenue.String(), q.Currency, optional(r.ConversionRate, r.ConversionRate != nil), optional(r.EPC, r.EPC != nil))
		if err := w.row(rec); err != nil {
			s.abortStream(c, "report csv", err)
			return
		}
	}
	if err := w.finish(); err != nil {
		s.abortStream(c, "report csv", err)
	}
}
