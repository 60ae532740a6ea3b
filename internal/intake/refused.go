package intake

import (
	"errors"
	"sync"
	"time"
)

// Refused requests are counted and sampled, not stored in full: anyone who
// knows an account id can send requests without the token, and storing each
// one whole would let them fill the account's postback log. Each account keeps
// at most RefusedPerMinute refused rows a minute (the rest are only counted),
// and a kept row holds a short cut of the query and body.
const (
	// DefaultRefusedPerMinute is the default bound of refused rows stored per
	// account per minute.
	DefaultRefusedPerMinute = 20
	// maxLoggedRefused bounds the query and the body a refused row keeps.
	maxLoggedRefused = 1024
)

// refusalReasons name each refusal kind in the metric (a fixed set, the one
// metrics.RefusalReasons starts at zero: never a value taken from the request).
var refusalReasons = []struct {
	kind   error
	reason string
}{
	{ErrMalformed, "malformed"},
	{ErrForbidden, "forbidden"},
	{ErrUnknownAccount, "unknown_account"},
	{ErrUnknownIntegration, "unknown_integration"},
	{ErrTooLarge, "too_large"},
	{ErrUnprocessable, "unprocessable"},
	{ErrTooMany, "too_many"},
	{ErrConflict, "conflict"},
	{ErrUnavailable, "unavailable"},
}

// RefusalReason is the metric label of a refusal kind.
func RefusalReason(kind error) string {
	for _, r := range refusalReasons {
		if errors.Is(kind, r.kind) {
			return r.reason
		}
	}
	return "unavailable"
}

// refusedSampler allows at most limit stored refusals per account per minute.
// Its table holds only accounts that exist (unknown accounts are never stored)
// and is dropped each minute, so it stays small.
type refusedSampler struct {
	mu     sync.Mutex
	minute int64
	counts map[string]int
}

// take says whether one more refused row of account may be stored now.
func (s *refusedSampler) take(account string, limit int, now time.Time) bool {
	if limit <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := now.Unix() / 60; m != s.minute || s.counts == nil {
		s.minute, s.counts = m, map[string]int{}
	}
	if s.counts[account] >= limit {
		return false
	}
	s.counts[account]++
	return true
}
