package intake

import (
	"errors"
	"net/http"
	"time"
)

// The kinds of refusal; an adapter maps each to its answer once (api/errors.go).
var (
	ErrMalformed          = errors.New("malformed request")
	ErrForbidden          = errors.New("forbidden")
	ErrUnknownAccount     = errors.New("unknown account")
	ErrUnknownIntegration = errors.New("unknown integration")
	ErrTooLarge           = errors.New("too large")
	ErrUnprocessable      = errors.New("unprocessable postback")
	ErrUnavailable        = errors.New("temporarily unavailable")
	ErrTooMany            = errors.New("too many requests")
	// ErrConflict: a browser conversion that would change what a network
	// reported (browser.go).
	ErrConflict = errors.New("conflicts with the transaction's recorded state")
)

// Error is one step's refusal: its kind, the field at fault, the message safe to
// show the sender, and the internal cause (logged only, never answered).
type Error struct {
	Kind    error
	Field   string
	Message string
	Cause   error
	// RetryAfter: how long a sender past a rate limit must wait (ErrTooMany).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Kind.Error() + ": " + e.Cause.Error()
	}
	return e.Kind.Error() + ": " + e.Message
}

func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// Refuse builds an Error; cause, when given, is the internal reason.
func Refuse(kind error, field, msg string, cause ...error) *Error {
	e := &Error{Kind: kind, Field: field, Message: msg}
	if len(cause) > 0 {
		e.Cause = cause[0]
	}
	return e
}

// AsError reads any error as an intake Error; one that is not is a passing failure.
func AsError(err error) *Error {
	var ie *Error
	if errors.As(err, &ie) {
		return ie
	}
	return &Error{Kind: ErrUnavailable, Cause: err}
}

// statuses are the HTTP answers a network gets for each kind (the design's
// intake interface); the API answers with them and the console's dry run shows them.
var statuses = []struct {
	kind   error
	status int
}{
	{ErrMalformed, http.StatusBadRequest},
	{ErrForbidden, http.StatusForbidden},
	{ErrUnknownAccount, http.StatusNotFound},
	{ErrUnknownIntegration, http.StatusNotFound},
	{ErrTooLarge, http.StatusRequestEntityTooLarge},
	{ErrUnprocessable, http.StatusUnprocessableEntity},
	{ErrUnavailable, http.StatusServiceUnavailable},
	{ErrTooMany, http.StatusTooManyRequests},
	{ErrConflict, http.StatusConflict},
}

// Status is the HTTP status of a refusal kind; an unknown one is a passing failure.
func Status(kind error) int {
	for _, m := range statuses {
		if errors.Is(kind, m.kind) {
			return m.status
		}
	}
	return http.StatusServiceUnavailable
}
