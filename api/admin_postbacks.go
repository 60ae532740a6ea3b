package api

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/workflows"
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
	rows, err := s.Store.ListLog(c.Request.Context(), c.Param("account"), store.LogFilter{
		Outcome: c.Query("outcome"), TransactionID: c.Query("transaction_id"), Before: cursor, Limit: limit})
	if err != nil {
		s.failErr(c, "list postbacks", err)
		return
	}
	out := make([]apiLogEntry, 0, len(rows))
	var last int64
	for _, r := range rows {
		out, last = append(out, newAPILogEntry(r)), r.ID
	}
	c.JSON(http.StatusOK, gin.H{"postbacks": out, "next_cursor": nextCursor(len(rows), limit, last)})
}

// testPostback is POST /v1/accounts/{account}/postbacks/test: it parses and classifies
// a payload exactly as the intake would and returns the canonical form and the
// decision, recording nothing. Body: {"integration":"slug","query":"a=1&b=2",
// "body":"...","content_type":"..."}, or {"preset":"..."} instead of an integration.
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
	integ := postback.Integration{Preset: req.Preset, FieldMap: req.FieldMap}
	if req.Integration != "" {
		in, err := s.Store.GetIntegration(c.Request.Context(), c.Param("account"), req.Integration)
		if err != nil {
			s.failErr(c, "integration "+quote(req.Integration), err)
			return
		}
		integ = postback.Integration{Preset: in.Preset, FieldMap: in.FieldMap}
	}
	if _, ok := postback.LookupPreset(integ.Preset); !ok {
		fail(c, http.StatusBadRequest, "unknown preset "+quote(integ.Preset))
		return
	}
	pb, err := postback.Parse(postback.Request{RawQuery: req.Query, Body: []byte(req.Body), ContentType: req.ContentType}, integ)
	if err != nil {
		var verr *postback.Error
		switch {
		case errors.Is(err, postback.ErrMalformedBody):
			c.JSON(http.StatusOK, gin.H{"decision": "rejected", "http_status": http.StatusBadRequest, "error": err.Error()})
		case errors.As(err, &verr):
			c.JSON(http.StatusOK, gin.H{"decision": "rejected", "http_status": http.StatusUnprocessableEntity, "error": verr.Message, "field": verr.Field})
		default:
			s.failErr(c, "parse postback", err)
		}
		return
	}
	if err := postback.DefaultLimits.Check(pb, time.Now()); err != nil {
		ie := limitError(err).(*intakeError)
		c.JSON(http.StatusOK, gin.H{"decision": "rejected", "http_status": intakeStatus(ie.kind), "error": ie.msg, "field": ie.field})
		return
	}
	secret, err := s.idSecret(c.Request.Context())
	if err != nil {
		s.failErr(c, "transaction key", err)
		return
	}
	txKey := pb.KeyedTransactionKey(secret)
	c.JSON(http.StatusOK, gin.H{
		"decision":        "accepted",
		"http_status":     http.StatusOK,
		"canonical":       pb,
		"status":          pb.Status,
		"event_name":      pb.EventName,
		"transaction_key": txKey,
		"workflow_id":     workflows.WorkflowID(c.Param("account"), txKey),
	})
}

// retryPostback is POST /v1/accounts/{account}/postbacks/{id}/retry: a postback
// that failed (a cause no retry could fix, now fixed by the operator) goes back to
// the hand-over queue and through its transaction's workflow again. Applying it is
// still exactly once: the store refuses a second effect for the same postback.
func (s *server) retryPostback(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	e, err := s.Store.RetryFailed(c.Request.Context(), c.Param("account"), id)
	if errors.Is(err, store.ErrConflict) {
		fail(c, http.StatusConflict, "postback is not failed; only a failed postback can be re-driven")
		return
	}
	if err != nil {
		s.failErr(c, "postback", err)
		return
	}
	s.Dispatcher.Poke()
	s.Logger.Info("postback re-driven", "account_id", e.AccountID, "postback_id", e.ID)
	c.JSON(http.StatusAccepted, gin.H{"postback": newAPILogEntry(e)})
}
