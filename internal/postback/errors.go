package postback

import (
	"errors"
	"fmt"
)

// Error is a validation failure: the request was readable but its content
// breaks the parameter contract. Message is safe to show to the sender.
type Error struct {
	Field   string // canonical field at fault, e.g. "click_id", "value"
	Message string
}

func (e *Error) Error() string { return e.Message }

func fieldError(field, format string, args ...any) *Error {
	return &Error{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrMalformedBody is wrapped by every error about a body that cannot be
// read at all (as opposed to a readable body with wrong content).
var ErrMalformedBody = errors.New("malformed body")

// MalformedBodyError says where a body stopped making sense.
type MalformedBodyError struct {
	Format string // "JSON" or "multipart"
	Offset int64  // byte offset into Request.Body, -1 when unknown
	Reason string
}

func (e *MalformedBodyError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("malformed %s body: %s", e.Format, e.Reason)
	}
	return fmt.Sprintf("malformed %s body at offset %d: %s", e.Format, e.Offset, e.Reason)
}

func (e *MalformedBodyError) Unwrap() error { return ErrMalformedBody }

// ErrUnknownPreset is a configuration error (an integration names a preset
// this build does not know), not the sender's fault.
var ErrUnknownPreset = errors.New("unknown integration preset")

// Messages fixed by the contract (seed 001); callers and tests match them.
const (
	MsgMissingIdentity       = "Missing click_id, ref_id and email"
	MsgUnknownConversionType = "Unknown conversion_type"
)
