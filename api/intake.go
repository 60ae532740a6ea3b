package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/workflows"
)

// intake is one request's progress through the intake, logged whatever the outcome.
type intake struct {
	entry   store.LogEntry
	started time.Time
}

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

func (s *server) receive(c *gin.Context, accountID, slug string, global bool) {
	in := &intake{started: time.Now(), entry: store.LogEntry{
		AccountID:   accountID,
		Integration: slug,
		Method:      c.Request.Method,
		Path:        c.Request.URL.Path,
		RawQuery:    truncateText(c.Request.URL.RawQuery, 16<<10),
		SourceIP:    c.ClientIP(),
		ReceivedAt:  time.Now().UTC(),
	}}
	ctx := c.Request.Context()

	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.Config.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.reject(c, in, http.StatusRequestEntityTooLarge, "body larger than "+itoa(s.Config.MaxBodyBytes)+" bytes")
			return
		}
		s.reject(c, in, http.StatusBadRequest, "could not read body")
		return
	}
	in.entry.RawBody = truncateText(string(body), 64<<10)

	var globalPB *postback.Postback // /pb parses once to find the account
	if global {
		accountID, globalPB = s.accountOfGlobalPostback(c, body)
		in.entry.AccountID = accountID
		if accountID == "" {
			s.reject(c, in, http.StatusNotFound, "hit matches no click and no default account is configured")
			return
		}
	}
	acct, err := s.cache.account(ctx, accountID)
	if err != nil {
		in.entry.AccountID = ""
		if store.IsNotFound(err) {
			s.reject(c, in, http.StatusNotFound, "unknown account")
			return
		}
		s.internal(c, in, "look up account", err)
		return
	}
	integ, err := s.cache.integration(ctx, acct.ID, slug)
	if err != nil {
		if store.IsNotFound(err) {
			s.reject(c, in, http.StatusNotFound, "unknown integration "+quote(slug))
			return
		}
		s.internal(c, in, "look up integration", err)
		return
	}
	if msg := checkAccess(c, integ); msg != "" {
		s.Logger.Warn("postback refused", "account_id", acct.ID, "integration", slug, "source_ip", in.entry.SourceIP, "reason", msg)
		s.reject(c, in, http.StatusForbidden, msg)
		return
	}

	pb, err := globalPB, error(nil)
	if pb == nil || integ.Preset != globalPreset || len(integ.FieldMap) > 0 {
		pb, err = postback.Parse(postback.Request{RawQuery: c.Request.URL.RawQuery, Body: body, ContentType: c.GetHeader("Content-Type")},
			postback.Integration{Preset: integ.Preset, FieldMap: integ.FieldMap})
	}
	if err != nil {
		var verr *postback.Error
		switch {
		case errors.Is(err, postback.ErrMalformedBody):
			s.reject(c, in, http.StatusBadRequest, err.Error())
		case errors.As(err, &verr):
			s.reject(c, in, http.StatusUnprocessableEntity, verr.Message)
		default:
			s.internal(c, in, "parse postback", err)
		}
		return
	}
	canonical, err := json.Marshal(pb)
	if err != nil {
		s.internal(c, in, "encode postback", err)
		return
	}
	txKey := pb.TransactionKey()
	in.entry.Canonical = canonical
	in.entry.TransactionID = pb.TransactionID
	in.entry.WorkflowID = workflows.WorkflowID(acct.ID, txKey)
	in.entry.Outcome = string(conv.OutcomeAccepted)
	if err := s.Store.InsertLog(ctx, &in.entry); err != nil {
		// Not durably accepted: the network must retry, so answer 5xx.
		s.Logger.Error("postback not recorded", "account_id", acct.ID, "error", err)
		s.observe(in, "error")
		fail(c, http.StatusServiceUnavailable, "postback could not be recorded; retry later")
		return
	}
	s.Dispatcher.Poke()
	s.observe(in, "accepted")
	s.Logger.Debug("postback accepted", "account_id", acct.ID, "postback_id", in.entry.ID, "transaction_id", pb.TransactionID,
		"workflow_id", in.entry.WorkflowID)
	c.JSON(http.StatusOK, gin.H{
		"status":         "accepted",
		"postback_id":    in.entry.ID,
		"transaction_id": pb.TransactionID,
		"workflow_id":    in.entry.WorkflowID,
		"event_name":     pb.EventName,
		"conversion":     string(pb.Status),
	})
}

// globalPreset is how /pb reads a postback before its account is known.
const globalPreset = "funnelflux"

// accountOfGlobalPostback finds the account of a /pb postback from its hit, and
// returns the parsed postback (nil when it does not parse) so the intake need not
// parse it again when the account's pb integration reads it the same way.
func (s *server) accountOfGlobalPostback(c *gin.Context, body []byte) (string, *postback.Postback) {
	pb, err := postback.Parse(postback.Request{RawQuery: c.Request.URL.RawQuery, Body: body, ContentType: c.GetHeader("Content-Type")},
		postback.Integration{Preset: globalPreset})
	if err != nil {
		return s.Config.DefaultAccount, nil
	}
	if pb.ClickID != "" {
		if acct, err := s.Store.ClickAccount(c.Request.Context(), pb.ClickID); err == nil {
			return acct, pb
		}
	}
	return s.Config.DefaultAccount, pb
}

// reject logs the refused request and answers with the problem named.
func (s *server) reject(c *gin.Context, in *intake, status int, msg string) {
	in.entry.Outcome = string(conv.OutcomeRejected)
	in.entry.Error = msg
	if err := s.Store.InsertLog(c.Request.Context(), &in.entry); err != nil {
		s.Logger.Error("rejected postback not logged", "error", err)
	}
	s.observe(in, "rejected")
	c.AbortWithStatusJSON(status, gin.H{"status": "rejected", "error": msg})
}

func (s *server) internal(c *gin.Context, in *intake, what string, err error) {
	s.Logger.Error("intake failed", "what", what, "account_id", in.entry.AccountID, "error", err)
	s.observe(in, "error")
	fail(c, http.StatusServiceUnavailable, "temporary failure; retry later")
}

func (s *server) observe(in *intake, outcome string) {
	s.Metrics.Postbacks.WithLabelValues(outcome, in.entry.Integration).Inc()
	s.Metrics.IntakeSeconds.WithLabelValues(outcome).Observe(time.Since(in.started).Seconds())
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func quote(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "'") + "\"" }
