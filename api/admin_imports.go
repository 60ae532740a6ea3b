package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// Imports are read and written as streams: importBatch rows go to the database
// in one round trip, and their results to the client, before the next are read.
const (
	importBatch    = 500
	importMaxBytes = 512 << 20
	importMaxSmall = 64 << 10 // a multipart mapping or preset field
)

// importResult is one row's fate in the answer.
type importResult struct {
	Row           int    `json:"row"` // data row number, the header excluded
	Status        string `json:"status"`
	PostbackID    int64  `json:"postback_id,omitempty"`
	TransactionID string `json:"transaction_id,omitempty"`
	Error         string `json:"error,omitempty"`
}

// importOptions say how to read the CSV: Mapping is canonical parameter -> CSV
// column (nil: every column, its header taken as the parameter name); Preset
// reads statuses and names like that network's postbacks.
type importOptions struct {
	Mapping map[string]string
	Preset  string
}

// createImport is POST /v1/accounts/{account}/imports: a CSV of conversions, each
// row becoming a postback of integration "import" in the postback log, handled by
// the dispatcher and its transaction's workflow like a live one. The body is
// text/csv (mapping and preset in the query) or multipart/form-data with fields
// "mapping" and "preset" before the "file" part. A row already imported (the same
// mapped values) is a duplicate and changes nothing.
func (s *server) createImport(c *gin.Context) {
	// Large files take longer than the server's read and write timeouts: this
	// handler streams both ways, so it lifts them for itself.
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	body := http.MaxBytesReader(c.Writer, c.Request.Body, importMaxBytes)
	opts := importOptions{Preset: c.Query("preset")}
	var csvBody io.Reader
	mediaType, params, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch mediaType {
	case "text/csv", "text/plain", "application/csv":
		if m := c.Query("mapping"); m != "" && !decodeMapping(c, m, &opts) {
			return
		}
		csvBody = body
	case "multipart/form-data":
		c.Request.Body = body
		mr, err := c.Request.MultipartReader()
		if err != nil || params["boundary"] == "" {
			fail(c, http.StatusBadRequest, "malformed multipart body")
			return
		}
		for csvBody == nil {
			part, err := mr.NextPart()
			if err != nil {
				fail(c, http.StatusBadRequest, "multipart body has no \"file\" part")
				return
			}
			switch part.FormName() {
			case "file":
				csvBody = part
			case "mapping", "preset":
				v, err := io.ReadAll(io.LimitReader(part, importMaxSmall))
				if err != nil {
					fail(c, http.StatusBadRequest, "could not read the "+part.FormName()+" field")
					return
				}
				if part.FormName() == "preset" {
					opts.Preset = strings.TrimSpace(string(v))
				} else if !decodeMapping(c, string(v), &opts) {
					return
				}
			}
		}
	default:
		fail(c, http.StatusUnsupportedMediaType, "send text/csv, or multipart/form-data with a \"file\" part")
		return
	}
	if opts.Preset == "" {
		opts.Preset = "custom"
	}
	if _, ok := postback.LookupPreset(opts.Preset); !ok {
		fail(c, http.StatusUnprocessableEntity, "unknown preset "+quote(opts.Preset))
		return
	}
	r := csv.NewReader(csvBody)
	r.FieldsPerRecord = -1 // a short or long row is that row's problem, not the file's
	header, err := r.Read()
	if err != nil {
		fail(c, http.StatusBadRequest, "the CSV has no header row")
		return
	}
	header = append([]string(nil), header...)
	columns, msg := importColumns(header, opts.Mapping)
	if msg != "" {
		fail(c, http.StatusUnprocessableEntity, msg)
		return
	}
	// Results are written while the file is still arriving: HTTP/1.1 closes the
	// request body at the first flush unless full duplex is on.
	_ = rc.EnableFullDuplex()
	s.runImport(c, r, len(header), columns, opts)
	// A stopped import leaves part of the file unread; read it so the client,
	// still sending, gets the answer instead of a reset connection.
	_, _ = io.Copy(io.Discard, csvBody)
}

func decodeMapping(c *gin.Context, raw string, opts *importOptions) bool {
	if err := json.Unmarshal([]byte(raw), &opts.Mapping); err != nil || len(opts.Mapping) == 0 {
		fail(c, http.StatusBadRequest, `mapping must be a JSON object of parameter name to CSV column, e.g. {"click_id":"Click ID"}`)
		return false
	}
	return true
}

// importColumn is one CSV column read into one postback parameter.
type importColumn struct {
	index int
	param string
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
			return nil, "mapping names column " + quote(col) + ", which the CSV header does not have"
		}
		cols = append(cols, importColumn{i, param})
	}
	return cols, ""
}

// runImport reads rows, parses each like a postback and writes the answer as it goes.
func (s *server) runImport(c *gin.Context, r *csv.Reader, width int, cols []importColumn, opts importOptions) {
	ctx := c.Request.Context()
	account := c.Param("account")
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(http.StatusOK)
	out := &importWriter{c: c}
	out.raw(`{"rows":[`)
	var (
		pending []store.ImportedPostback
		rowsOf  []importResult
		counts  = map[string]int{}
		row     int
		failure string
	)
	emit := func(res importResult) {
		counts[res.Status]++
		out.result(res)
	}
	flush := func() bool {
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
			emit(res)
		}
		if counts["accepted"] > 0 {
			s.Dispatcher.Poke()
		}
		pending, rowsOf = pending[:0], rowsOf[:0]
		out.flush()
		return true
	}
	for failure == "" {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		row++
		var perr *csv.ParseError
		switch {
		case errors.As(err, &perr):
			emit(importResult{Row: row, Status: "rejected", Error: "malformed CSV row: " + perr.Err.Error()})
			continue
		case err != nil:
			s.Logger.Warn("import upload unreadable", "account_id", account, "row", row, "error", err)
			failure = "the upload could not be read after row " + strconv.Itoa(row-1)
			continue
		case len(rec) != width:
			emit(importResult{Row: row, Status: "rejected", Error: "row has " + strconv.Itoa(len(rec)) + " columns, the header " + strconv.Itoa(width)})
			continue
		}
		imp, err := s.intake.ImportRow(ctx, account, opts.Preset, rowValues(rec, cols), time.Now())
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
			emit(importResult{Row: row, Status: "rejected", Error: ie.Message})
			continue
		}
		pending = append(pending, imp)
		rowsOf = append(rowsOf, importResult{Row: row, TransactionID: imp.Entry.TransactionID})
		if len(pending) == importBatch && !flush() {
			break
		}
	}
	if failure == "" && len(pending) > 0 {
		flush()
	}
	out.raw(`],"accepted":` + strconv.Itoa(counts["accepted"]) + `,"duplicates":` + strconv.Itoa(counts["duplicate"]) +
		`,"rejected":` + strconv.Itoa(counts["rejected"]) + `,"complete":` + strconv.FormatBool(failure == ""))
	if failure != "" {
		b, _ := json.Marshal(failure)
		out.raw(`,"error":` + string(b))
	}
	out.raw("}\n")
	out.flush()
	s.admin.Record(ctx, account, admin.AuditImport, "", nil, map[string]any{"preset": opts.Preset, "rows": row,
		"accepted": counts["accepted"], "duplicates": counts["duplicate"], "rejected": counts["rejected"], "complete": failure == ""})
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

// importWriter streams the JSON answer's row array.
type importWriter struct {
	c     *gin.Context
	buf   bytes.Buffer
	comma bool
}

func (w *importWriter) raw(s string) { w.buf.WriteString(s) }

func (w *importWriter) result(r importResult) {
	if w.comma {
		w.buf.WriteByte(',')
	}
	w.comma = true
	b, _ := json.Marshal(r)
	w.buf.Write(b)
	if w.buf.Len() > 32<<10 {
		w.flush()
	}
}

func (w *importWriter) flush() {
	_, _ = w.c.Writer.Write(w.buf.Bytes())
	w.buf.Reset()
	w.c.Writer.Flush()
}
