package api

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// startCSV starts a CSV download; the rows go through an admin.CSVWriter.
func startCSV(c *gin.Context, filename string) (io.Writer, func()) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	return c.Writer, c.Writer.Flush
}

// abortStream ends a CSV answer that failed half-way by closing the connection,
// so the client sees an incomplete download instead of a file that looks whole.
func (s *server) abortStream(c *gin.Context, what string, err error) {
	s.Logger.Error("export failed", "path", c.FullPath(), "what", what, "error", err)
	if conn, _, herr := http.NewResponseController(c.Writer).Hijack(); herr == nil {
		_ = conn.Close()
	}
	c.Abort()
}

// exportConversions is GET /v1/accounts/{account}/conversions/export?from=&to=
// (dates in the account's time zone, to inclusive; default everything): a CSV of
// the conversions, oldest first, streamed from one database cursor.
func (s *server) exportConversions(c *gin.Context) {
	s.export(c, "conversions.csv", admin.ExportConversions)
}

// exportPostbacks is GET /v1/accounts/{account}/postbacks/export?from=&to=: the
// postback log as CSV, streamed.
func (s *server) exportPostbacks(c *gin.Context) {
	s.export(c, "postbacks.csv", admin.ExportPostbacks)
}

func (s *server) export(c *gin.Context, filename, what string) {
	opened, err := s.admin.Export(c.Request.Context(), c.Param("account"), what, c.Query("from"), c.Query("to"),
		func() (io.Writer, func()) { return startCSV(c, filename) })
	switch {
	case err != nil && !opened:
		s.answerBadQuery(c, err)
	case err != nil:
		s.abortStream(c, "export "+filename, err)
	}
}
