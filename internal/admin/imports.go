package admin

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// importBatch rows go to the database in one round trip, and their results to
// the caller, before the next are read.
const importBatch = 500

// RowImporter decides one CSV row like a postback (intake.Pipeline.ImportRow).
type RowImporter interface {
	ImportRow(ctx context.Context, accountID, preset string, vals url.Values, now time.Time) (store.ImportedPostback, error)
}

// ImportOptions say how to read a CSV: Mapping is canonical parameter -> CSV
// column (nil: every column, its header taken as the parameter name); Preset
// reads statuses and names like that network's postbacks ("" is custom).
type ImportOptions struct {
	Mapping map[string]string
	Preset  string
}

// ImportResult is one row's fate.
type ImportResult struct {
	Row           int    `json:"row"` // data row number, the header excluded
	Status        string `json:"status"`
	PostbackID    int64  `json:"postback_id,omitempty"`
	TransactionID string `json:"transaction_id,omitempty"`
	Error         string `json:"error,omitempty"`
}

// ImportSummary counts an import's rows; Complete is false when it stopped
// early (Error says from which row on nothing was imported).
type ImportSummary struct {
	Rows       int    `json:"-"`
	Accepted   int    `json:"accepted"`
	Duplicates int    `json:"duplicates"`
	Rejected   int    `json:"rejected"`
	Complete   bool   `json:"complete"`
	Error      string `json:"error,omitempty"`
}

// Import is a CSV import whose header was read; Run reads its rows.
type Import struct {
	s       *Service
	account string
	preset  string
	r       *csv.Reader
	width   int
	cols    []importColumn
}

type importColumn struct {
	index int
	param string
}

// StartImport checks the request and reads the CSV's header: each row then
// becomes a postback of integration "import" in the postback log, handled by
// the dispatcher and its transaction's workflow like a live one. A row already
// imported (the same mapped values) is a duplicate and changes nothing. An
// unreadable header is Invalid with field "file".
func (s *Service) StartImport(ctx context.Context, account string, body io.Reader, opts ImportOptions) (*Import, error) {
	if _, err := s.authorize(ctx, account, ActImport); err != nil {
		return nil, err
	}
	if s.Importer == nil {
		return nil, refuse(KindUnavailable, "imports are not available in this process")
	}
	if opts.Preset == "" {
		opts.Preset = "custom"
	}
	if _, ok := postback.LookupPreset(opts.Preset); !ok {
		return nil, Invalid("preset", "unknown preset "+intake.Quote(opts.Preset))
	}
	r := csv.NewReader(body)
	r.FieldsPerRecord = -1 // a short or long row is that row's problem, not the file's
	header, err := r.Read()
	if err != nil {
		return nil, Invalid("file", "the CSV has no header row")
	}
	header = append([]string(nil), header...)
	cols, msg := importColumns(header, opts.Mapping)
	if msg != "" {
		return nil, Invalid("mapping", msg)
	}
	return &Import{s: s, account: account, preset: opts.Preset, r: r, width: len(header), cols: cols}, nil
}

// importColumns resolves the mapping against the header.
func importColumns(header []string, mapping map[string]string) ([]importColumn, string) {
	index := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) // a spreadsheet's byte-order mark
		if _, dup := index[h]; !dup {
			index[h] = i
		}
	}
	var cols []importColumn
	if mapping == nil {
		for i, h := range header {
			if h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")); h != "" {
				cols = append(cols, importColumn{i, h})
			}
		}
		return cols, ""
	}
	for param, col := range mapping {
		i, ok := index[strings.TrimSpace(col)]
		if !ok {
			return nil, "mapping names column " + intake.Quote(col) + ", which the CSV header does not have"
		}
		cols = append(cols, importColumn{i, param})
	}
	return cols, ""
}

// Run reads the rows, decides each like a postback, writes the accepted ones
// in batches and reports each row to emit as it goes (flush after each batch);
// the import is audited with its counts.
func (im *Import) Run(ctx context.Context, emit func(ImportResult), flush func()) ImportSummary {
	s, account := im.s, im.account
	var (
		pending []store.ImportedPostback
		rowsOf  []ImportResult
		sum     ImportSummary
		row     int
		failure string
	)
	report := func(res ImportResult) {
		switch res.Status {
		case "accepted":
			sum.Accepted++
		case "duplicate":
			sum.Duplicates++
		default:
			sum.Rejected++
		}
		emit(res)
	}
	write := func() bool {
		ids, err := s.Store.InsertImported(ctx, pending)
		if err != nil {
			s.Logger.Error("import failed", "account_id", account, "error", err)
			failure = "rows from " + strconv.Itoa(rowsOf[0].Row) + " on were not imported: internal error; upload the file again to continue"
			return false
		}
		for i, id := range ids {
			res := rowsOf[i]
			res.Status, res.PostbackID = "accepted", id
			if id == 0 {
				res.Status = "duplicate"
			}
			report(res)
		}
		if sum.Accepted > 0 {
			s.poke()
		}
		pending, rowsOf = pending[:0], rowsOf[:0]
		flush()
		return true
	}
	for failure == "" {
		rec, err := im.r.Read()
		if err == io.EOF {
			break
		}
		row++
		var perr *csv.ParseError
		switch {
		case errors.As(err, &perr):
			report(ImportResult{Row: row, Status: "rejected", Error: "malformed CSV row: " + perr.Err.Error()})
			continue
		case err != nil:
			s.Logger.Warn("import upload unreadable", "account_id", account, "row", row, "error", err)
			failure = "the upload could not be read after row " + strconv.Itoa(row-1)
			continue
		case len(rec) != im.width:
			report(ImportResult{Row: row, Status: "rejected", Error: "row has " + strconv.Itoa(len(rec)) + " columns, the header " + strconv.Itoa(im.width)})
			continue
		}
		imp, err := s.Importer.ImportRow(ctx, account, im.preset, rowValues(rec, im.cols), time.Now())
		if err != nil {
			ie := intake.AsError(err)
			if errors.Is(ie.Kind, intake.ErrUnavailable) {
				s.Logger.Error("import failed", "account_id", account, "row", row, "error", err)
				first := row // rows waiting for their batch are not imported either
				if len(rowsOf) > 0 {
					first = rowsOf[0].Row
				}
				failure = "rows from " + strconv.Itoa(first) + " on were not imported: internal error; upload the file again to continue"
				break
			}
			report(ImportResult{Row: row, Status: "rejected", Error: ie.Message})
			continue
		}
		pending = append(pending, imp)
		rowsOf = append(rowsOf, ImportResult{Row: row, TransactionID: imp.Entry.TransactionID})
		if len(pending) == importBatch && !write() {
			break
		}
	}
	if failure == "" && len(pending) > 0 {
		write()
	}
	sum.Rows, sum.Complete, sum.Error = row, failure == "", failure
	s.Record(ctx, account, AuditImport, "", nil, map[string]any{"preset": im.preset, "rows": row,
		"accepted": sum.Accepted, "duplicates": sum.Duplicates, "rejected": sum.Rejected, "complete": sum.Complete})
	return sum
}

// rowValues are a row's mapped columns as postback parameters (empty cells left out).
func rowValues(rec []string, cols []importColumn) url.Values {
	vals := url.Values{}
	for _, col := range cols {
		if v := strings.TrimSpace(rec[col.index]); v != "" {
			vals.Add(col.param, v)
		}
	}
	return vals
}
