package console

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/store"
)

// The reports page: one report (admin.Report) by one dimension, with its chart
// by day, its CSV export, and a table sorted by any column through query
// parameters (?sort=roi&dir=desc), so sorting needs no JavaScript.

type reportRowView struct {
	Key                                                      string
	Clicks, Pending, Approved, Rejected, Conversions, Unconv int64
	Revenue, Rate, EPC, Cost, Profit, ROI, CPA               string
	Loss                                                     bool // profit below 0
}

// reportColumn is one sortable column of the table: its heading, the sort
// parameter, whether it holds a figure, the link that sorts by it and the
// state a screen reader hears (aria-sort).
type reportColumn struct {
	Label, Sort, Link, AriaSort, Arrow string
	Num                                bool
}

// reportColumns are the table's columns after the group's; money ones carry
// the currency in their heading.
var reportColumns = []struct {
	label, sort string
	money       bool
}{
	{"Clicks", "clicks", false}, {"Pending", "pending", false}, {"Approved", "approved", false}, {"Rejected", "rejected", false},
	{"Conversions", "conversions", false}, {"Not yet converted", "unconverted", false}, {"Revenue", "revenue", true},
	{"Cost", "cost", true}, {"Profit", "profit", true}, {"ROI", "roi", false}, {"CPA", "cpa", true},
	{"Conversion rate", "conversion_rate", false}, {"EPC", "epc", true},
}

// consoleReportQuery is the page's query: group_by (one dimension), from, to,
// sort, dir, and the filters of the same names as the API's.
func consoleReportQuery(c *gin.Context) url.Values {
	q := c.Request.URL.Query()
	if q.Get("group_by") == "" {
		q.Set("group_by", "day")
	}
	// A sort by the dimension grouped before does not follow to another one.
	if by := q.Get("sort"); by != q.Get("group_by") && store.ValidReportDimension(by) {
		q.Del("sort")
		q.Del("dir")
	}
	return q
}

// sortLinks are the table's headings, each a link that sorts by it: a figure
// first from the highest, a dimension from A; the column sorted now flips.
func sortLinks(q url.Values, group, currency, by, dir string) []reportColumn {
	cols := []reportColumn{{Label: group, Sort: group}}
	for _, c := range reportColumns {
		label := c.label
		if c.money && currency != "" {
			label += " (" + currency + ")"
		}
		cols = append(cols, reportColumn{Label: label, Sort: c.sort, Num: true})
	}
	for i := range cols {
		col := &cols[i]
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("sort", col.Sort)
		switch {
		case col.Sort == by && dir == "desc":
			next.Set("dir", "asc")
			col.AriaSort, col.Arrow = "descending", " ▼"
		case col.Sort == by:
			next.Set("dir", "desc")
			col.AriaSort, col.Arrow = "ascending", " ▲"
		default:
			next.Del("dir")
		}
		col.Link = consoleBase + "/reports?" + next.Encode()
	}
	return cols
}

func (s *Console) consoleReports(c *gin.Context) {
	q := consoleReportQuery(c)
	group := q.Get("group_by")
	data := gin.H{"Title": "Reports", "GroupBy": group, "Groups": store.ReportDimensions, "SortChoices": sortLinks(q, group, "", "", "")[1:],
		"From": q.Get("from"), "To": q.Get("to"), "Sort": q.Get("sort"), "Dir": q.Get("dir"),
		"CSVURL": consoleBase + "/reports.csv?" + q.Encode()}
	req, err := admin.ReportRequestFrom(q, "day")
	var rep admin.Report
	if err == nil {
		rep, err = s.Admin.Report(c.Request.Context(), consoleAccount(c), req)
	}
	if err != nil {
		data["Error"] = s.consoleFailure(err)
		s.renderConsole(c, http.StatusOK, "reports", data)
		return
	}
	data["Currency"] = rep.Currency
	data["Columns"] = sortLinks(q, group, rep.Currency, rep.Sort, rep.Dir)
	var views []reportRowView
	var days []dayPoint
	text := func(d *decimal.Decimal) string {
		if d == nil {
			return ""
		}
		return d.String()
	}
	for _, r := range rep.Rows {
		v := reportRowView{Key: r.Key, Clicks: r.Clicks, Pending: r.Pending, Approved: r.Approved, Rejected: r.Rejected,
			Conversions: r.Conversions, Unconv: r.Unconverted, Revenue: r.Revenue.String(), Rate: text(r.ConversionRate), EPC: text(r.EPC),
			Cost: text(r.Cost), Profit: text(r.Profit), ROI: text(r.ROI), CPA: text(r.CPA), Loss: r.Profit != nil && r.Profit.IsNegative()}
		views = append(views, v)
		if group == "day" {
			days = append(days, dayPoint{Day: v.Key, Conversions: r.Conversions, Revenue: r.Revenue})
		}
	}
	data["Rows"] = views
	if len(days) > 0 {
		data["Chart"] = dayChart(days)
	}
	s.renderConsole(c, http.StatusOK, "reports", data)
}

type dayPoint struct {
	Day         string
	Conversions int64
	Revenue     decimal.Decimal
}

// dayChart draws conversions (bars) and revenue (line) by day as inline SVG: no
// chart library, nothing loaded at run time, readable by a screen reader through
// the table below it.
func dayChart(days []dayPoint) template.HTML {
	sort.Slice(days, func(i, j int) bool { return days[i].Day < days[j].Day })
	const w, h, pad = 800.0, 220.0, 24.0
	var maxConv int64 = 1
	maxRev := decimal.NewFromInt(1)
	for _, d := range days {
		maxConv = max(maxConv, d.Conversions)
		if d.Revenue.GreaterThan(maxRev) {
			maxRev = d.Revenue
		}
	}
	step := (w - 2*pad) / float64(len(days))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" role="img" aria-label="conversions and revenue by day">`, w, h)
	var line []string
	for i, d := range days {
		x := pad + float64(i)*step
		bh := (h - 2*pad) * float64(d.Conversions) / float64(maxConv)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#9db8e6"><title>%s: %d conversions</title></rect>`,
			x+step*0.1, h-pad-bh, step*0.8, bh, template.HTMLEscapeString(d.Day), d.Conversions)
		ry := h - pad - (h-2*pad)*d.Revenue.Div(maxRev).InexactFloat64()
		line = append(line, fmt.Sprintf("%.1f,%.1f", x+step/2, ry))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#1e7d34" stroke-width="2"/>`, strings.Join(line, " "))
	fmt.Fprintf(&b, `<text x="%.0f" y="16" font-size="12">max %d conversions, revenue %s</text></svg>`, pad, maxConv, maxRev.String())
	return template.HTML(b.String())
}

// consoleReportsCSV exports the report shown on the page as CSV, written by
// the API's writer (admin.WriteReportCSV).
func (s *Console) consoleReportsCSV(c *gin.Context) {
	req, err := admin.ReportRequestFrom(consoleReportQuery(c), "day")
	var rep admin.Report
	if err == nil {
		rep, err = s.Admin.Report(c.Request.Context(), consoleAccount(c), req)
	}
	if err != nil {
		c.String(http.StatusBadRequest, s.consoleFailure(err))
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="convrelay-report.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if err := admin.WriteReportCSV(c.Writer, c.Writer.Flush, rep); err != nil {
		s.Logger.Error("console report csv", "error", err)
	}
}
