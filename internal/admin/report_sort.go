package admin

import (
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/store"
)

// ReportSortColumns are the figures a report can be sorted by (besides the
// dimensions it groups by), in the order a report shows them.
var ReportSortColumns = []string{"clicks", "pending", "approved", "rejected", "conversions", "unconverted", "revenue",
	"conversion_rate", "epc", "cost", "profit", "roi", "cpa"}

// reportSort reads sort and dir: a figure of ReportSortColumns or a dimension
// the report groups by, and asc or desc (default: desc for a figure, asc for a
// dimension). An empty sort keeps the report's order (by its groups).
func reportSort(by, dir string, groupBy []string) (string, string, error) {
	if by == "" {
		if dir != "" && dir != "asc" && dir != "desc" {
			return "", "", Invalid("dir", "dir must be asc or desc")
		}
		return "", "", nil
	}
	figure := slices.Contains(ReportSortColumns, by)
	if !figure && !slices.Contains(groupBy, by) {
		return "", "", Invalid("sort", "sort takes one of "+strings.Join(ReportSortColumns, ", ")+" or a dimension the report groups by")
	}
	switch {
	case dir == "" && figure:
		dir = "desc"
	case dir == "":
		dir = "asc"
	case dir != "asc" && dir != "desc":
		return "", "", Invalid("dir", "dir must be asc or desc")
	}
	return by, dir, nil
}

// sortReport orders rows by one figure or dimension; rows without the figure
// (a null ROI, a blank rate) come last either way, and ties keep their order.
func sortReport(rows []store.ReportRow, by, dir string) {
	if by == "" {
		return
	}
	sign := 1
	if dir == "desc" {
		sign = -1
	}
	slices.SortStableFunc(rows, func(a, b store.ReportRow) int {
		if v, ok := a.Group[by]; ok {
			return sign * strings.Compare(v, b.Group[by])
		}
		x, y := reportFigure(a, by), reportFigure(b, by)
		switch {
		case x == nil && y == nil:
			return 0
		case x == nil:
			return 1
		case y == nil:
			return -1
		}
		return sign * x.Cmp(*y)
	})
}

// reportFigure is one figure of a row, nil when the row has none.
func reportFigure(r store.ReportRow, name string) *decimal.Decimal {
	count := func(n int64) *decimal.Decimal { d := decimal.NewFromInt(n); return &d }
	switch name {
	case "clicks":
		return count(r.Clicks)
	case "pending":
		return count(r.Pending)
	case "approved":
		return count(r.Approved)
	case "rejected":
		return count(r.Rejected)
	case "conversions":
		return count(r.Conversions)
	case "unconverted":
		return count(r.Unconverted)
	case "revenue":
		return &r.Revenue
	case "conversion_rate":
		return r.ConversionRate
	case "epc":
		return r.EPC
	case "cost":
		return r.Cost
	case "profit":
		return r.Profit
	case "roi":
		return r.ROI
	case "cpa":
		return r.CPA
	}
	return nil
}
