package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/internal/text"
	"github.com/convrelay/convrelay/internal/tracing"
	"github.com/convrelay/convrelay/workflows"
)

// intake is one request's progress through the intake, logged whatever the outcome.
type intake struct {
	entry   store.LogEntry
	started time.Time
	known   bool // the integration exists: its slug may label metrics
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

// receive runs the intake's steps; the first that fails answers with its typed
// error (statuses in api/errors.go). Everything that could fail after the 200 is
// checked here, so an accepted postback can always be applied.
func (s *server) receive(c *gin.Context, accountID, slug string, global bool) {
	now := time.Now()
	in := &intake{started: now, entry: store.LogEntry{
		AccountID:   accountID,
		Integration: text.Escape(text.Truncate(slug, 255)),
		Method:      c.Request.Method,
		Path:        text.Escape(text.Truncate(c.Request.URL.Path, 2048)),
		RawQuery:    text.Escape(text.Truncate(c.Request.URL.RawQuery, 16<<10)),
		SourceIP:    c.ClientIP(),
		ReceivedAt:  now.UTC(),
	}}
	pb, err := s.admit(c, in, accountID, slug, global)
	if err != nil {
		s.answerIntakeError(c, in, err)
		return
	}
	s.Dispatcher.Poke()
	s.observe(in, "accepted")
	s.Logger.Debug("postback accepted", "account_id", in.entry.AccountID, "postback_id", in.entry.ID,
		"transaction_id", pb.TransactionID, "workflow_id", in.entry.WorkflowID)
	c.JSON(http.StatusOK, gin.H{
		"status":         "accepted",
		"postback_id":    in.entry.ID,
		"transaction_id": pb.TransactionID,
		"workflow_id":    in.entry.WorkflowID,
		"event_name":     pb.EventName,
		"conversion":     string(pb.Status),
	})
}

// admit takes a request from bytes to a durably accepted postback log row.
func (s *server) admit(c *gin.Context, in *intake, accountID, slug string, global bool) (*postback.Postback, error) {
	body, err := s.readBody(c)
	if err != nil {
		return nil, err
	}
	in.entry.RawBody = text.Escape(text.Truncate(string(body), 64<<10))
	req := postback.Request{RawQuery: c.Request.URL.RawQuery, Body: body, ContentType: c.GetHeader("Content-Type")}

	var globalPB *postback.Postback // /pb parses once to find the account
	if global {
		if accountID, globalPB, err = s.accountOfGlobalPostback(c, req); err != nil {
			return nil, err
		}
		in.entry.AccountID = accountID
	}
	acct, integ, err := s.lookUpIntegration(c, in, accountID, slug)
	if err != nil {
		return nil, err
	}
	if msg := checkAccess(c, integ); msg != "" {
		s.Logger.Warn("postback refused", "account_id", acct.ID, "integration", slug, "reason", msg)
		return nil, intakeErr(errForbidden, "", msg)
	}
	// Only a request that passed its token check spends the account's bound.
	if wait := s.limits.accountWait(acct.ID, in.started); wait > 0 {
		return nil, &intakeError{kind: errTooMany, msg: "too many requests for this account", retryAfter: wait}
	}
	pb := globalPB
	if pb == nil || integ.Preset != globalPreset || len(integ.FieldMap) > 0 {
		if pb, err = parse(req, integ); err != nil {
			return nil, err
		}
	}
	if err := postback.DefaultLimits.Check(pb, in.started); err != nil {
		return nil, limitError(err)
	}
	canonical, err := json.Marshal(pb)
	if err != nil {
		return nil, intakeErr(errUnavailable, "", "", fmt.Errorf("encode postback: %w", err))
	}
	if err := postback.DefaultLimits.CheckCanonical(canonical); err != nil {
		return nil, limitError(err)
	}
	secret, err := s.idSecret(c.Request.Context())
	if err != nil {
		return nil, intakeErr(errUnavailable, "", "", err)
	}
	in.entry.Canonical = canonical
	in.entry.TransactionID = pb.TransactionID
	in.entry.WorkflowID = workflows.WorkflowID(acct.ID, pb.KeyedTransactionKey(secret))
	in.entry.Outcome = string(conv.OutcomeAccepted)
	in.entry.TraceParent = tracing.Inject(c.Request.Context())
	if err := s.Store.InsertLog(c.Request.Context(), &in.entry); err != nil {
		// Not durably accepted: the network must retry, so answer 5xx.
		return nil, intakeErr(errUnavailable, "", "", fmt.Errorf("record postback: %w", err))
	}
	return pb, nil
}

// readBody reads the body within the configured bound.
func (s *server) readBody(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.Config.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, intakeErr(errTooLarge, "", "body larger than "+itoa(s.Config.MaxBodyBytes)+" bytes")
		}
		return nil, intakeErr(errMalformed, "", "could not read body")
	}
	return body, nil
}

// lookUpIntegration finds the account and the integration named in the path. A
// name that cannot exist (not UTF-8, NUL, over 255 bytes) is unknown without a
// database round trip.
func (s *server) lookUpIntegration(c *gin.Context, in *intake, accountID, slug string) (store.Account, store.Integration, error) {
	ctx := c.Request.Context()
	if !plausibleName(accountID) {
		in.entry.AccountID = ""
		return store.Account{}, store.Integration{}, intakeErr(errUnknownAccount, "", "unknown account")
	}
	acct, err := s.cache.account(ctx, accountID)
	if err != nil {
		in.entry.AccountID = ""
		if store.IsNotFound(err) {
			return acct, store.Integration{}, intakeErr(errUnknownAccount, "", "unknown account")
		}
		return acct, store.Integration{}, intakeErr(errUnavailable, "", "", fmt.Errorf("look up account: %w", err))
	}
	if !plausibleName(slug) {
		return acct, store.Integration{}, intakeErr(errUnknownIntegration, "", "unknown integration")
	}
	integ, err := s.cache.integration(ctx, acct.ID, slug)
	if err != nil {
		if store.IsNotFound(err) {
			return acct, integ, intakeErr(errUnknownIntegration, "", "unknown integration "+quote(slug))
		}
		return acct, integ, intakeErr(errUnavailable, "", "", fmt.Errorf("look up integration: %w", err))
	}
	in.known = true
	return acct, integ, nil
}

func plausibleName(s string) bool {
	return s != "" && len(s) <= 255 && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// parse reads the postback against the integration's contract.
func parse(req postback.Request, integ store.Integration) (*postback.Postback, error) {
	pb, err := postback.Parse(req, postback.Integration{Preset: integ.Preset, FieldMap: integ.FieldMap})
	if err == nil {
		return pb, nil
	}
	var verr *postback.Error
	switch {
	case errors.Is(err, postback.ErrMalformedBody):
		return nil, intakeErr(errMalformed, "", err.Error())
	case errors.As(err, &verr):
		return nil, intakeErr(errUnprocessable, verr.Field, verr.Message)
	default:
		return nil, intakeErr(errUnavailable, "", "", fmt.Errorf("parse postback: %w", err))
	}
}

func limitError(err error) error {
	var tooBig *postback.TooLargeError
	var verr *postback.Error
	switch {
	case errors.As(err, &tooBig):
		return intakeErr(errTooLarge, "", tooBig.Message)
	case errors.As(err, &verr):
		return intakeErr(errUnprocessable, verr.Field, verr.Message)
	default:
		return intakeErr(errUnprocessable, "", "postback over a limit")
	}
}

// globalPreset is how /pb reads a postback before its account is known.
const globalPreset = "funnelflux"

// accountOfGlobalPostback finds the account of a /pb postback from its hit, and
// returns the parsed postback (nil when it does not parse) so the intake need not
// parse it again when the account's pb integration reads it the same way.
func (s *server) accountOfGlobalPostback(c *gin.Context, req postback.Request) (string, *postback.Postback, error) {
	pb, err := postback.Parse(req, postback.Integration{Preset: globalPreset})
	if err != nil {
		pb = nil
	}
	account := s.Config.DefaultAccount
	if pb != nil && pb.ClickID != "" && plausibleName(pb.ClickID) {
		acct, err := s.Store.ClickAccount(c.Request.Context(), pb.ClickID)
		switch {
		case err == nil:
			account = acct
		case !store.IsNotFound(err):
			return "", nil, intakeErr(errUnavailable, "", "", fmt.Errorf("look up hit: %w", err))
		}
	}
	if account == "" {
		return "", nil, intakeErr(errUnknownAccount, "", "hit matches no click and no default account is configured")
	}
	return account, pb, nil
}

// answerIntakeError logs a refused request (unless it names no known account) and
// answers with the problem named; a passing failure is answered 503 so the network
// retries, without internal detail.
func (s *server) answerIntakeError(c *gin.Context, in *intake, err error) {
	var ie *intakeError
	if !errors.As(err, &ie) {
		ie = &intakeError{kind: errUnavailable, cause: err}
	}
	status := intakeStatus(ie.kind)
	if errors.Is(ie.kind, errTooMany) {
		tooMany(c, ie.retryAfter, ie.msg) // like the middleware's: not logged
		return
	}
	if status >= 500 {
		s.Logger.Error("intake failed", "account_id", in.entry.AccountID, "error", err)
		s.observe(in, "error")
		c.AbortWithStatusJSON(status, gin.H{"status": "error", "error": "temporary failure; retry later"})
		return
	}
	in.entry.Outcome = string(conv.OutcomeRejected)
	in.entry.Error = ie.msg
	s.logRefused(c, in, ie)
	s.observe(in, "rejected")
	answer := gin.H{"status": "rejected", "error": ie.msg}
	if ie.field != "" {
		answer["field"] = ie.field
	}
	c.AbortWithStatusJSON(status, answer)
}

// logRefused keeps a refused request in its account's postback log. Requests
// for no known account are only counted: anyone can send them, and storing them
// in full would let anyone fill the database.
func (s *server) logRefused(c *gin.Context, in *intake, ie *intakeError) {
	if errors.Is(ie.kind, errUnknownAccount) {
		s.Metrics.Unknown.WithLabelValues("account").Inc()
		return
	}
	if errors.Is(ie.kind, errUnknownIntegration) {
		s.Metrics.Unknown.WithLabelValues("integration").Inc()
		// Kept, but short: the account owner sees the misconfigured network.
		in.entry.RawBody = text.Truncate(in.entry.RawBody, 1024)
		in.entry.RawQuery = text.Truncate(in.entry.RawQuery, 1024)
	}
	if err := s.Store.InsertLog(c.Request.Context(), &in.entry); err != nil {
		s.Logger.Error("rejected postback not logged", "error", err)
	}
}

func (s *server) observe(in *intake, outcome string) {
	integration := "unknown"
	if in.known {
		integration = in.entry.Integration
	}
	s.Metrics.Postbacks.WithLabelValues(outcome, integration).Inc()
	s.Metrics.IntakeSeconds.WithLabelValues(outcome).Observe(time.Since(in.started).Seconds())
}

func quote(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "'") + "\"" }
