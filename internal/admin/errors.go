package admin

import (
	"errors"

	"github.com/convrelay/convrelay/internal/store"
)

// Kind is what went wrong, in terms an adapter maps to its answer once (the
// API to an HTTP status, the console to a message on the page).
type Kind int

const (
	// KindInternal: a failure whose detail stays in the logs.
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindConflict
	KindForbidden
	KindTooLarge
	KindTooMany
	// KindUnavailable: a dependency (Temporal) is not configured or not reachable now.
	KindUnavailable
)

// Error is a use case's refusal: its kind, the field at fault (when one is),
// the message safe to show, and the internal cause (logged only).
type Error struct {
	Kind    Kind
	Field   string
	Message string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Invalid refuses a request whose field is wrong.
func Invalid(field, msg string) *Error { return &Error{Kind: KindInvalid, Field: field, Message: msg} }

func refuse(kind Kind, msg string) *Error { return &Error{Kind: kind, Message: msg} }

// fromStore reads a store error: its sentinels become their kinds, with what
// was asked for named; anything else is internal (a database error is never
// read as not found).
func fromStore(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return &Error{Kind: KindNotFound, Message: what + ": not found", Cause: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Kind: KindConflict, Message: what + ": already exists", Cause: err}
	default:
		return &Error{Kind: KindInternal, Message: what + ": internal error", Cause: err}
	}
}

// AsError reads any error as an admin Error; one that is not is internal.
func AsError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return &Error{Kind: KindInternal, Message: "internal error", Cause: err}
}
