package admin

import (
	"context"
	"io"
	"slices"
	"strconv"
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
//
// The raw postback export is for roles that see personal data; the conversions
// export is narrowed to a scoped principal's campaigns and masked for a role
// without the right to personal data.
func (s *Service) Export(ctx context.Context, account, what, fromText, toText string, open func() (io.Writer, func())) (opened bool, err error) {
	action := ActReadConversions
	if what == ExportPostbacks {
		action = ActExportPostbacks
	}
	p, err := s.authorize(ctx, account, action)
	if err != nil {
		return false, err
	}
	if what == ExportPostbacks && !p.SeesPersonalData() {
		return false, refuse(KindForbidden, "the raw postback export needs a role that sees personal data (owner or admin)")
	}
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
	campaignCol := slices.Index(header, "campaign_id")
	err = run(ctx, acct.ID, from, to, func(rec []string) error {
		if p.Scoped() && campaignCol >= 0 {
			id, err := strconv.ParseInt(rec[campaignCol], 10, 64)
			if err != nil || !p.InScope(&id) {
				return nil
			}
		}
		if !p.SeesPersonalData() {
			for i := range rec {
				rec[i] = maskIfPersonal(header[i], rec[i])
			}
		}
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
