package api

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// listPostbacks is GET /v1/accounts/{account}/postbacks?outcome=&transaction_id=&limit=&cursor=.
func (s *server) listPostbacks(c *gin.Context) {
	limit, cursor, ok := pageParams(c)
	if !ok {
		return
	}
	switch o := c.Query("outcome"); o {
	case "", "accepted", "rejected", "duplicate", "suppressed", "failed":
	default:
		fail(c, http.StatusBadRequest, "outcome must be accepted, rejected, duplicate, suppressed or failed")
		return
	}
	rows, err := s.admin.ListPostbacks(c.Request.Context(), c.Param("account"), store.LogFilter{
		Outcome: c.Query("outcome"), TransactionID: c.Query("transaction_id"), Before: cursor, Limit: limit})
	if err != nil {
		s.answer(c, err)
		return
	}
	out := make([]apiLogEntry, 0, len(rows))
	var last int64
	for _, r := range rows {
		out, last = append(out, newAPILogEntry(r)), r.ID
	}
	c.JSON(http.StatusOK, gin.H{"postbacks": out, "next_cursor": nextCursor(len(rows), limit, last)})
}

// testPostback is POST /v1/accounts/{account}/postbacks/test: it runs a payload
// through the intake pipeline's decision (parse, limits, canonical size, keyed
// transaction key: the steps of a live postback but access) and returns the
// canonical form and the decision, recording nothing. Body: {"integration":"slug",
// "query":"a=1&b=2","body":"...","content_type":"..."}, or {"preset":"..."}
// instead of an integration.
func (s *server) testPostback(c *gin.Context) {
	var req struct {
		Integration string            `json:"integration"`
		Preset      string            `json:"preset"`
		FieldMap    map[string]string `json:"field_map"`
		Query       string            `json:"query"`
		Body        string            `json:"body"`
		ContentType string            `json:"content_type"`
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.Config.MaxBodyBytes))
	if err != nil {
		fail(c, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	if err := decodeStrict(raw, &req); err != nil {
		fail(c, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	d, err := s.intake.DryRun(c.Request.Context(), c.Param("account"),
		intake.Trial{Integration: req.Integration, Preset: req.Preset, FieldMap: req.FieldMap},
		postback.Request{RawQuery: req.Query, Body: []byte(req.Body), ContentType: req.ContentType}, time.Now())
	if err != nil {
		ie := intake.AsError(err)
		switch {
		case errors.Is(ie.Kind, intake.ErrUnavailable):
			s.failErr(c, "test postback", err)
		case errors.Is(ie.Kind, intake.ErrUnknownIntegration):
			fail(c, http.StatusNotFound, "integration "+quote(req.Integration)+": not found")
		case ie.Field == "preset":
			fail(c, http.StatusBadRequest, ie.Message)
		default:
			answer := gin.H{"decision": "rejected", "http_status": intakeStatus(ie.Kind), "error": ie.Message}
			if ie.Field != "" {
				answer["field"] = ie.Field
			}
			c.JSON(http.StatusOK, answer)
		}
		return
	}
	c.JSON(http.StatusOK, gin.H{
		"decision":        "accepted",
		"http_status":     http.StatusOK,
		"canonical":       d.Postback,
		"status":          d.Postback.Status,
		"raw_status":      d.Postback.RawStatus,
		"status_source":   d.Postback.StatusSource,
		"event_name":      d.Postback.EventName,
		"transaction_key": d.TxKey,
		"workflow_id":     d.WorkflowID,
		// What a repeated approval of the transaction would mean (docs/rules.md).
		"duplicate_mode":        d.DuplicateMode,
		"duplicate_mode_source": d.DuplicateModeSource,
	})
}

// retryPostback is POST /v1/accounts/{account}/postbacks/{id}/retry: a postback
// that failed (a cause no retry could fix, now fixed by the operator) goes back to
// the hand-over queue and through its transaction's workflow again.
func (s *server) retryPostback(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	e, err := s.admin.RetryPostback(c.Request.Context(), c.Param("account"), id)
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"postback": newAPILogEntry(e)})
}
