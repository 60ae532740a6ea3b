package admin

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// CSVWriter writes CSV for people's spreadsheets: a cell a spreadsheet would run
// as a formula (=, +, -, @, tab or CR first, and not a number) is prefixed with a
// quote, so a click's sub1 of =HYPERLINK(...) arrives as text. Every CSV the
// product writes (reports, exports) goes through it.
type CSVWriter struct {
	w     *csv.Writer
	flush func() // after each batch, e.g. the HTTP response's Flush; may be nil
	n     int
}

// csvFlushEvery is how many rows are buffered before they go to the client.
const csvFlushEvery = 500

// NewCSVWriter writes the header at once.
func NewCSVWriter(w io.Writer, flush func(), header []string) *CSVWriter {
	cw := &CSVWriter{w: csv.NewWriter(w), flush: flush}
	_ = cw.w.Write(header)
	return cw
}

// Row writes one record (modifying rec in place).
func (c *CSVWriter) Row(rec []string) error {
	for i, v := range rec {
		rec[i] = SpreadsheetSafe(v)
	}
	if err := c.w.Write(rec); err != nil {
		return err
	}
	if c.n++; c.n%csvFlushEvery == 0 {
		return c.Flush()
	}
	return nil
}

// Flush sends what is buffered.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	if c.flush != nil {
		c.flush()
	}
	return c.w.Error()
}

// SpreadsheetSafe keeps a cell from running as a formula.
func SpreadsheetSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		if _, err := decimal.NewFromString(v); err != nil {
			return "'" + v
		}
	}
	return v
}

// ReportCSVHeader is the report CSV's header after its groupings.
var ReportCSVHeader = []string{"clicks", "pending", "approved", "rejected", "conversions",
	"unconverted", "revenue", "currency", "conversion_rate", "epc", "cost", "profit", "roi", "cpa"}

// WriteReportCSV writes a report as CSV: one column per grouping, then the
// counts, money in the report's currency, the rates, then cost, profit, ROI and
// CPA (blank where the report has none: see store.ReportRow).
func WriteReportCSV(w io.Writer, flush func(), rep Report) error {
	header := append(append([]string{}, rep.GroupBy...), ReportCSVHeader...)
	cw := NewCSVWriter(w, flush, header)
	optional := func(d *decimal.Decimal) string {
		if d == nil {
			return ""
		}
		return d.String()
	}
	for _, r := range rep.Rows {
		rec := make([]string, 0, len(header))
		for _, g := range rep.GroupBy {
			rec = append(rec, r.Group[g])
		}
		rec = append(rec, strconv.FormatInt(r.Clicks, 10), strconv.FormatInt(r.Pending, 10), strconv.FormatInt(r.Approved, 10),
			strconv.FormatInt(r.Rejected, 10), strconv.FormatInt(r.Conversions, 10), strconv.FormatInt(r.Unconverted, 10),
			r.Revenue.String(), rep.Currency, optional(r.ConversionRate), optional(r.EPC),
			optional(r.Cost), optional(r.Profit), optional(r.ROI), optional(r.CPA))
		if err := cw.Row(rec); err != nil {
			return err
		}
	}
	return cw.Flush()
}
