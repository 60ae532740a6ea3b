package admin

import (
	"context"
	"io"
	"time"

	"github.com/convrelay/convrelay/internal/store"
)

// Exports the account can download as CSV.
const (
	ExportConversions = "conversions"
	ExportPostbacks   = "postbacks"
)

// Export streams one of the account's tables as CSV, oldest first, from one
// database cursor; dates are YYYY-MM-DD in the account's time zone (to
// inclusive; empty: everything). open is called once, before the first byte, and
// returns where to write and how to flush; opened says whether it was, so an
// adapter can tell a refusal (answer it) from a failure half-way (cut the stream).
func (s *Service) Export(ctx context.Context, account, what, fromText, toText string, open func() (io.Writer, func())) (opened bool, err error) {
	acct, err := s.Accounts.Account(ctx, account)
	if err != nil {
		return false, fromStore("account", err)
	}
	loc, err := time.LoadLocation(acct.Timezone)
	if err != nil {
		loc = time.UTC
	}
	from, to, err := DateRange(fromText, toText, loc, 0, time.Now())
	if err != nil {
		return false, err
	}
	run, header := s.Store.ExportConversions, conversionCSVHeader()
	if what == ExportPostbacks {
		run, header = s.Store.ExportPostbacks, postbackCSVHeader()
	}
	var cw *CSVWriter
	start := func() {
		w, flush := open()
		cw = NewCSVWriter(w, flush, header)
	}
	err = run(ctx, acct.ID, from, to, func(rec []string) error {
		if cw == nil {
			start()
		}
		return cw.Row(rec)
	})
	if err != nil {
		return cw != nil, fromStore("export", err)
	}
	if cw == nil {
		start()
	}
	return true, cw.Flush()
}

func conversionCSVHeader() []string { return append([]string(nil), store.ConversionCSVHeader...) }
func postbackCSVHeader() []string   { return append([]string(nil), store.PostbackCSVHeader...) }
