package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/tracing"
)

// collect is GET|POST /{account}/collect/{integration}.
func (s *server) collect(c *gin.Context) {
	s.receive(c, c.Param("account"), c.Param("integration"), false)
}

// collectAccountPB is GET|POST /{account}/pb: the account's FunnelFlux-style endpoint.
func (s *server) collectAccountPB(c *gin.Context) {
	s.receive(c, c.Param("account"), "pb", false)
}

// collectGlobalPB is GET|POST /pb: FunnelFlux's global postback. The account is the
// one the hit (click id) belongs to; a hit that matches no click belongs to the
// installation's default account.
func (s *server) collectGlobalPB(c *gin.Context) {
	s.receive(c, "", "pb", true)
}

// receive is the HTTP adapter of the intake pipeline (internal/intake): it reads
// the request, runs the pipeline and answers its decision; statuses are mapped
// once, in api/errors.go.
func (s *server) receive(c *gin.Context, accountID, slug string, global bool) {
	now := time.Now()
	body, readErr := s.readBody(c)
	token := c.GetHeader(TokenHeader)
	if token == "" {
		token = c.Query("token")
	}
	live, err := s.intake.Accept(c.Request.Context(), intake.Request{
		AccountID: accountID, Integration: slug, Global: global,
		Method: c.Request.Method, Path: c.Request.URL.Path, RawQuery: c.Request.URL.RawQuery,
		Body: body, ContentType: c.GetHeader("Content-Type"), SourceIP: c.ClientIP(), Token: token,
		TraceParent: tracing.Inject(c.Request.Context()), ReceivedAt: now, ReadError: readErr,
	}, func(account string) error {
		if wait := s.limits.accountWait(account, now); wait > 0 {
			return &intake.Error{Kind: intake.ErrTooMany, Message: "too many requests for this account", RetryAfter: wait}
		}
		return nil
	})
	s.answerAccept(c, live, now, err, func(live *intake.Live, answer gin.H) {
		answer["workflow_id"], answer["conversion"] = live.Entry.WorkflowID, string(live.Decision.Postback.Status)
	})
}

// answerAccept is the answer of every door that accepts postbacks (the live
// intake, the first-party tag): an error is answered in one place
// (answerIntakeError); an accepted postback wakes the dispatcher, is counted,
// and is answered 200 `{"status":"accepted","postback_id":...,"transaction_id":
// ...,"event_name":...}` with the fields the door adds (more).
func (s *server) answerAccept(c *gin.Context, live *intake.Live, started time.Time, err error, more func(*intake.Live, gin.H)) {
	if err != nil {
		s.answerIntakeError(c, live, started, err)
		return
	}
	s.Dispatcher.Poke()
	s.observe(live, started, "accepted")
	p := live.Decision.Postback
	s.Logger.Debug("postback accepted", "account_id", live.Entry.AccountID, "postback_id", live.Entry.ID,
		"transaction_id", p.TransactionID, "workflow_id", live.Entry.WorkflowID)
	answer := gin.H{"status": "accepted", "postback_id": live.Entry.ID, "transaction_id": p.TransactionID, "event_name": p.EventName}
	more(live, answer)
	c.JSON(http.StatusOK, answer)
}

// readBody reads the body within the configured bound.
func (s *server) readBody(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.Config.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, intake.Refuse(intake.ErrTooLarge, "", "body larger than "+strconv.FormatInt(s.Config.MaxBodyBytes, 10)+" bytes")
		}
		return nil, intake.Refuse(intake.ErrMalformed, "", "could not read body")
	}
	return body, nil
}
