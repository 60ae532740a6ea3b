package api

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/store"
)

// csvFlushEvery is how many rows are buffered before they go to the client.
const csvFlushEvery = 500

// csvStream writes CSV rows straight to the response, flushing as it goes, so an
// export of any size holds a few rows in memory.
type csvStream struct {
	c *gin.Context
	w *csv.Writer
	n int
}

func startCSV(c *gin.Context, filename string, header []string) *csvStream {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	s := &csvStream{c: c, w: csv.NewWriter(c.Writer)}
	_ = s.w.Write(header)
	return s
}

// row writes one record; a cell a spreadsheet would run as a formula (=, +, -, @
// first, and not a number) is prefixed with a quote.
func (s *csvStream) row(rec []string) error {
	for i, v := range rec {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			if _, err := decimal.NewFromString(v); err != nil {
				rec[i] = "'" + v
			}
		}
	}
	if err := s.w.Write(rec); err != nil {
		return err
	}
	if s.n++; s.n%csvFlushEvery == 0 {
		s.w.Flush()
		s.c.Writer.Flush()
		return s.w.Error()
	}
	return nil
}

func (s *csvStream) finish() error {
	s.w.Flush()
	s.c.Writer.Flush()
	return s.w.Error()
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
	s.export(c, "conversions.csv", store.ConversionCSVHeader, s.Store.ExportConversions)
}

// exportPostbacks is GET /v1/accounts/{account}/postbacks/export?from=&to=: the
// postback log as CSV, streamed.
func (s *server) exportPostbacks(c *gin.Context) {
	s.export(c, "postbacks.csv", store.PostbackCSVHeader, s.Store.ExportPostbacks)
}

func (s *server) export(c *gin.Context, filename string, header []string,
	run func(ctx context.Context, account string, from, to time.Time, each func([]string) error) error) {
	acct, loc, ok := s.accountLocation(c)
	if !ok {
		return
	}
	from, to, ok := dateRange(c, loc, 0)
	if !ok {
		return
	}
	var w *csvStream
	err := run(c.Request.Context(), acct.ID, from, to, func(rec []string) error {
		if w == nil {
			w = startCSV(c, filename, header)
		}
		return w.row(rec)
	})
	switch {
	case err != nil && w == nil:
		s.failErr(c, "export", err)
	case err != nil:
		s.abortStream(c, "export "+filename, err)
	default:
		if w == nil {
			w = startCSV(c, filename, header)
		}
		if err := w.finish(); err != nil {
			s.abortStream(c, "export "+filename, err)
		}
	}
}
