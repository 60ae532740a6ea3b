package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
)

// statusOf maps the store's sentinel errors to HTTP statuses, in one table.
var statusOf = []struct {
	err    error
	status int
	text   string
}{
	{store.ErrNotFound, http.StatusNotFound, "not found"},
	{store.ErrConflict, http.StatusConflict, "already exists"},
}

// fail answers with a JSON error naming the problem.
func fail(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"error": msg})
}

// failErr answers for an error from the store or Temporal: known sentinels get
// their status; anything else is logged and answered 500 without its text, so
// internal detail never reaches a client.
func (s *server) failErr(c *gin.Context, what string, err error) {
	for _, m := range statusOf {
		if errors.Is(err, m.err) {
			fail(c, m.status, what+": "+m.text)
			return
		}
	}
	s.Logger.Error("request failed", "path", c.FullPath(), "what", what, "error", err)
	fail(c, http.StatusInternalServerError, what+": internal error")
}

// The intake's error kinds; intakeStatus maps each to its HTTP status.
var (
	errMalformed          = errors.New("malformed request")
	errForbidden          = errors.New("forbidden")
	errUnknownAccount     = errors.New("unknown account")
	errUnknownIntegration = errors.New("unknown integration")
	errTooLarge           = errors.New("too large")
	errUnprocessable      = errors.New("unprocessable postback")
	errUnavailable        = errors.New("temporarily unavailable")
	errTooMany            = errors.New("too many requests")
)

var intakeStatuses = []struct {
	kind   error
	status int
}{
	{errMalformed, http.StatusBadRequest},
	{errForbidden, http.StatusForbidden},
	{errUnknownAccount, http.StatusNotFound},
	{errUnknownIntegration, http.StatusNotFound},
	{errTooLarge, http.StatusRequestEntityTooLarge},
	{errUnprocessable, http.StatusUnprocessableEntity},
	{errUnavailable, http.StatusServiceUnavailable},
	{errTooMany, http.StatusTooManyRequests},
}

func intakeStatus(kind error) int {
	for _, m := range intakeStatuses {
		if errors.Is(kind, m.kind) {
			return m.status
		}
	}
	return http.StatusServiceUnavailable
}

// intakeError is one intake step's failure: its kind (the status), the field at
// fault, the message safe to show the sender, and the internal cause (logged only).
type intakeError struct {
	kind  error
	field string
	msg   string
	cause error
	// retryAfter: how long a sender past a rate limit must wait (errTooMany).
	retryAfter time.Duration
}

func (e *intakeError) Error() string {
	if e.cause != nil {
		return e.kind.Error() + ": " + e.cause.Error()
	}
	return e.kind.Error() + ": " + e.msg
}

func (e *intakeError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func intakeErr(kind error, field, msg string, cause ...error) error {
	e := &intakeError{kind: kind, field: field, msg: msg}
	if len(cause) > 0 {
		e.cause = cause[0]
	}
	return e
}
