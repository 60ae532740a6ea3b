package api

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// Imports are read and written as streams (admin.Import): a batch of rows goes
// to the database in one round trip, and their results to the client, before
// the next are read.
const (
	importMaxBytes = 512 << 20
	importMaxSmall = 64 << 10 // a multipart mapping or preset field
)

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
	opts := admin.ImportOptions{Preset: c.Query("preset")}
	csvBody, multipartForm, ok := csvUpload(c, body, func(part *multipart.Part) bool {
		if name := part.FormName(); name == "mapping" || name == "preset" {
			v, err := io.ReadAll(io.LimitReader(part, importMaxSmall))
			if err != nil {
				fail(c, http.StatusBadRequest, "could not read the "+name+" field")
				return false
			}
			if name == "preset" {
				opts.Preset = strings.TrimSpace(string(v))
				return true
			}
			return decodeMapping(c, string(v), &opts)
		}
		return true
	})
	if !ok {
		return
	}
	if m := c.Query("mapping"); !multipartForm && m != "" && !decodeMapping(c, m, &opts) {
		return
	}
	im, err := s.admin.StartImport(c.Request.Context(), c.Param("account"), csvBody, opts)
	if err != nil {
		if ae := admin.AsError(err); ae.Kind == admin.KindInvalid && ae.Field == "file" {
			s.answerWith(c, err, http.StatusBadRequest)
			return
		}
		s.answer(c, err)
		return
	}
	// Results are written while the file is still arriving: HTTP/1.1 closes the
	// request body at the first flush unless full duplex is on.
	_ = rc.EnableFullDuplex()
	s.runImport(c, im)
	// A stopped import leaves part of the file unread; read it so the client,
	// still sending, gets the answer instead of a reset connection.
	_, _ = io.Copy(io.Discard, csvBody)
}

func decodeMapping(c *gin.Context, raw string, opts *admin.ImportOptions) bool {
	if err := json.Unmarshal([]byte(raw), &opts.Mapping); err != nil || len(opts.Mapping) == 0 {
		fail(c, http.StatusBadRequest, `mapping must be a JSON object of parameter name to CSV column, e.g. {"click_id":"Click ID"}`)
		return false
	}
	return true
}

// runImport streams admin's import as JSON: each row's result as it is decided.
func (s *server) runImport(c *gin.Context, im *admin.Import) {
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(http.StatusOK)
	out := &importWriter{c: c}
	out.raw(`{"rows":[`)
	sum := im.Run(c.Request.Context(), out.result, out.flush)
	out.raw(`],"accepted":` + strconv.Itoa(sum.Accepted) + `,"duplicates":` + strconv.Itoa(sum.Duplicates) +
		`,"rejected":` + strconv.Itoa(sum.Rejected) + `,"complete":` + strconv.FormatBool(sum.Complete))
	if sum.Error != "" {
		b, _ := json.Marshal(sum.Error)
		out.raw(`,"error":` + string(b))
	}
	out.raw("}\n")
	out.flush()
}

// importWriter streams the JSON answer's row array.
type importWriter struct {
	c     *gin.Context
	buf   bytes.Buffer
	comma bool
}

func (w *importWriter) raw(s string) { w.buf.WriteString(s) }

func (w *importWriter) result(r admin.ImportResult) {
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
