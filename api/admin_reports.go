package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// report is GET /v1/accounts/{account}/reports?group_by=a,b&from=&to=&<dimension>=<value>...
// Dates are YYYY-MM-DD in the account's time zone (to inclusive; default the last
// 30 days). format=csv streams the same rows as CSV (admin.WriteReportCSV, the
// console's writer too).
func (s *server) report(c *gin.Context) {
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "csv" {
		fail(c, http.StatusBadRequest, "format must be json or csv")
		return
	}
	req, err := admin.ReportRequestFrom(c.Request.URL.Query(), "campaign")
	if err != nil {
		s.answerBadQuery(c, err)
		return
	}
	rep, err := s.admin.Report(c.Request.Context(), c.Param("account"), req)
	if err != nil {
		s.answerBadQuery(c, err)
		return
	}
	if format == "csv" {
		s.streamReportCSV(c, "report.csv", rep)
		return
	}
	out := apiReport{GroupBy: rep.GroupBy, Filters: rep.Filters, From: rep.From.Format(time.DateOnly), To: rep.To.Format(time.DateOnly),
		Timezone: rep.Location.String(), Currency: rep.Currency, Rows: make([]apiReportRow, 0, len(rep.Rows))}
	for _, r := range rep.Rows {
		out.Rows = append(out.Rows, newAPIReportRow(r))
	}
	c.JSON(http.StatusOK, out)
}

// streamReportCSV answers a report as a CSV download.
func (s *server) streamReportCSV(c *gin.Context, filename string, rep admin.Report) {
	w, flush := startCSV(c, filename)
	if err := admin.WriteReportCSV(w, flush, rep); err != nil {
		s.abortStream(c, "report csv", err)
	}
}
