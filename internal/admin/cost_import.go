package admin

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/intake"
)

// CostImportMaxRows bounds one CSV of costs (a year of hourly costs for five
// campaigns is 43,800 rows).
const CostImportMaxRows = 50_000

// costColumns are the CSV's columns (header names, case ignored) and the
// CostRequest field each fills; campaign_id and date and cost are required.
var costColumns = map[string]string{"campaign_id": "campaign", "campaign": "campaign", "date": "date", "day": "date",
	"hour": "hour", "cost": "cost", "amount": "cost", "currency": "currency"}

// CostImportRow is one data row's fate, as the conversion import reports its rows:
// its number (the header excluded), accepted or rejected with the reason, and
// for an accepted row what was stored.
type CostImportRow struct {
	Row         int              `json:"row"`
	Status      string           `json:"status"`
	Error       string           `json:"error,omitempty"`
	CampaignID  int64            `json:"campaign_id,omitempty"`
	PeriodStart *time.Time       `json:"period_start,omitempty"`
	CostAccount *decimal.Decimal `json:"cost_account,omitempty"`
	Clicks      *int64           `json:"clicks,omitempty"`
	Replaced    bool             `json:"replaced,omitempty"` // a cost posted before for the period was replaced
}

// CostImport is the answer to a CSV of costs: every row's result and the counts.
// Complete is false when an internal error stopped the import (Error says from
// which row on; uploading the file again is safe: a period posted again is
// replaced).
type CostImport struct {
	Rows     []CostImportRow `json:"rows"`
	Accepted int             `json:"accepted"`
	Rejected int             `json:"rejected"`
	Complete bool            `json:"complete"`
	Error    string          `json:"error,omitempty"`
}

// ImportCosts reads a CSV of campaign costs (header: campaign_id, date, cost,
// and optionally hour and currency) and stores each row as SetCost does. A row
// that is wrong is rejected with the reason and the others go on.
func (s *Service) ImportCosts(ctx context.Context, account string, r io.Reader) (CostImport, error) {
	p, err := s.authorize(ctx, account, ActImport)
	if err != nil {
		return CostImport{}, err
	}
	acct, err := s.Accounts.Account(ctx, account)
	if err != nil {
		return CostImport{}, fromStore("account", err)
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short or long row is that row's problem, not the file's
	header, err := cr.Read()
	if err != nil {
		return CostImport{}, Invalid("file", "the CSV has no header row")
	}
	fields := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		f, ok := costColumns[name]
		if !ok {
			return CostImport{}, Invalid("file", "unknown column "+intake.Quote(name)+": the columns are campaign_id, date, hour, cost, currency")
		}
		if seen[f] {
			return CostImport{}, Invalid("file", "the header names "+f+" twice")
		}
		fields[i], seen[f] = f, true
	}
	for _, f := range []string{"campaign", "date", "cost"} {
		if !seen[f] {
			return CostImport{}, Invalid("file", "the CSV needs the columns campaign_id, date and cost (hour and currency are optional)")
		}
	}
	out := CostImport{Rows: []CostImportRow{}, Complete: true}
	reject := func(row int, msg string) {
		out.Rows = append(out.Rows, CostImportRow{Row: row, Status: "rejected", Error: msg})
		out.Rejected++
	}
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var perr *csv.ParseError
		switch {
		case errors.As(err, &perr):
			reject(row, "malformed CSV row: "+perr.Err.Error())
			continue
		case err != nil:
			out.Complete, out.Error = false, "the upload could not be read after row "+strconv.Itoa(row-1)
		case row > CostImportMaxRows:
			out.Complete, out.Error = false, "rows from "+strconv.Itoa(row)+" on were not imported: a file takes up to "+
				strconv.Itoa(CostImportMaxRows)+" rows"
		case len(rec) != len(fields):
			reject(row, "row has "+strconv.Itoa(len(rec))+" columns, the header "+strconv.Itoa(len(fields)))
			continue
		}
		if !out.Complete {
			break
		}
		var req CostRequest
		for i, v := range rec {
			switch fields[i] {
			case "campaign":
				req.Campaign = v
			case "date":
				req.Date = v
			case "hour":
				req.Hour = v
			case "cost":
				req.Cost = v
			case "currency":
				req.Currency = v
			}
		}
		c, before, err := s.setCost(ctx, p, acct, req)
		if err != nil {
			ae := AsError(err)
			if ae.Kind == KindInternal {
				if s.Logger != nil {
					s.Logger.Error("cost import failed", "account_id", account, "row", row, "error", err)
				}
				out.Complete = false
				out.Error = "rows from " + strconv.Itoa(row) + " on were not imported: internal error; upload the file again to continue"
				break
			}
			reject(row, ae.Message)
			continue
		}
		start, amount, clicks := c.Start, c.AmountAccount, c.Clicks
		out.Rows = append(out.Rows, CostImportRow{Row: row, Status: "accepted", CampaignID: c.CampaignID, PeriodStart: &start,
			CostAccount: &amount, Clicks: &clicks, Replaced: before != nil})
		out.Accepted++
	}
	s.Record(ctx, account, AuditCostImport, "", nil, map[string]any{"accepted": out.Accepted, "rejected": out.Rejected,
		"complete": out.Complete})
	return out, nil
}
