package intake

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/internal/text"
)

// Bounds of what a log row keeps of a request.
const (
	maxLoggedPath  = 2048
	maxLoggedQuery = 16 << 10
	maxLoggedBody  = 64 << 10
)

// Request is one postback as a live door received it.
type Request struct {
	AccountID   string // "" on the global /pb: the hit's account
	Integration string // slug
	Global      bool   // the global /pb: the account comes from the hit
	Method      string
	Path        string
	RawQuery    string // without the token parameter
	Body        []byte
	ContentType string
	SourceIP    string
	Token       string // the integration token presented, "" when none
	TraceParent string
	ReceivedAt  time.Time
	// ReadError: the body could not be read (too large, cut off); the request is
	// refused with it once its account and access are known.
	ReadError error
}

// Live is the outcome of a live request: the log entry as written (or as it
// would have been, when refused) and the decision when accepted.
type Live struct {
	Entry    store.LogEntry
	Decision Decision
	// Known: the integration exists, so its slug may label metrics.
	Known bool
}

// AccountGate is asked once a request has passed its token check (it lets the
// HTTP layer charge that account's rate limit: a request without the token
// must not spend the budget of the account's real networks); a non-nil error
// refuses it.
type AccountGate func(accountID string) error

// Accept runs a live request through every step and writes its log row. A
// refused request is logged in its account's postback log (unless it names no
// known account, or is over a rate limit); the error says why.
func (p *Pipeline) Accept(ctx context.Context, r Request, gate AccountGate) (*Live, error) {
	out := &Live{Entry: store.LogEntry{
		AccountID:   r.AccountID,
		Integration: text.Storable(r.Integration, 255),
		Method:      r.Method,
		Path:        text.Storable(r.Path, maxLoggedPath),
		RawQuery:    text.Storable(r.RawQuery, maxLoggedQuery),
		RawBody:     text.Storable(string(r.Body), maxLoggedBody),
		SourceIP:    r.SourceIP,
		ReceivedAt:  r.ReceivedAt.UTC(),
		TraceParent: r.TraceParent,
	}}
	err := p.admit(ctx, r, out, gate)
	if err != nil {
		p.logRefused(ctx, out, AsError(err))
		return out, err
	}
	return out, nil
}

func (p *Pipeline) admit(ctx context.Context, r Request, out *Live, gate AccountGate) error {
	req := postback.Request{RawQuery: r.RawQuery, Body: r.Body, ContentType: r.ContentType}
	accountID := r.AccountID
	if r.Global && r.ReadError != nil {
		return r.ReadError // the account comes from the body, which is not whole
	}
	var globalPB *postback.Postback // /pb parses once to find the account
	if r.Global {
		var err error
		if accountID, globalPB, err = p.accountOfGlobalPostback(ctx, req); err != nil {
			return err
		}
		out.Entry.AccountID = accountID
	}
	acct, integ, err := p.Lookup(ctx, accountID, r.Integration)
	if err != nil {
		if acct.ID == "" { // the account is not known: nothing is kept under its name
			out.Entry.AccountID = ""
		}
		return err
	}
	out.Known = true
	if msg := CheckAccess(integ, r.Token, r.SourceIP); msg != "" {
		return Refuse(ErrForbidden, "", msg)
	}
	if gate != nil {
		if err := gate(acct.ID); err != nil {
			return err
		}
	}
	if r.ReadError != nil {
		return r.ReadError
	}
	pb := globalPB
	if pb == nil || integ.Preset != GlobalPreset || len(integ.FieldMap) > 0 || len(integ.StatusMap) > 0 ||
		integ.UnknownStatus == postback.UnknownStatusReject {
		if pb, err = Parse(req, contractOf(integ)); err != nil {
			return err
		}
	}
	d, err := p.decideParsed(ctx, acct.ID, pb, r.ReceivedAt)
	if err != nil {
		return err
	}
	return p.logAccepted(ctx, out, d)
}

// logAccepted writes the log row of an accepted decision: from here the
// postback is the dispatcher's to hand to its workflow.
func (p *Pipeline) logAccepted(ctx context.Context, out *Live, d Decision) error {
	out.Decision = d
	out.Entry.Canonical = d.Canonical
	out.Entry.TransactionID = d.Postback.TransactionID
	out.Entry.WorkflowID = d.WorkflowID
	out.Entry.Outcome = string(conv.OutcomeAccepted)
	if err := p.Store.InsertLog(ctx, &out.Entry); err != nil {
		// Not durably accepted: the sender must retry.
		return Refuse(ErrUnavailable, "", "", fmt.Errorf("record postback: %w", err))
	}
	return nil
}

func contractOf(integ store.Integration) postback.Integration {
	return postback.Integration{Preset: integ.Preset, FieldMap: integ.FieldMap, StatusMap: integ.StatusMap, UnknownStatus: integ.UnknownStatus}
}

// GlobalPreset is how /pb reads a postback before its account is known.
const GlobalPreset = "funnelflux"

// accountOfGlobalPostback finds the account of a /pb postback from its hit, and
// returns the parsed postback (nil when it does not parse) so the pipeline need
// not parse it again when the account's pb integration reads it the same way.
func (p *Pipeline) accountOfGlobalPostback(ctx context.Context, req postback.Request) (string, *postback.Postback, error) {
	pb, err := postback.Parse(req, postback.Integration{Preset: GlobalPreset})
	if err != nil {
		pb = nil
	}
	account := p.DefaultAccount
	if pb != nil && pb.ClickID != "" && PlausibleName(pb.ClickID) {
		acct, err := p.Store.ClickAccount(ctx, pb.ClickID)
		switch {
		case err == nil:
			account = acct
		case !store.IsNotFound(err):
			return "", nil, Refuse(ErrUnavailable, "", "", fmt.Errorf("look up hit: %w", err))
		}
	}
	if account == "" {
		return "", nil, Refuse(ErrUnknownAccount, "", "hit matches no click and no default account is configured")
	}
	return account, pb, nil
}

// logRefused counts a refused request and keeps a short sample of it in its
// account's postback log (refused.go). Requests for no known account are not
// stored: anyone can send them, and storing them would let anyone fill the
// database. Rate-limited and passing failures are not stored either.
func (p *Pipeline) logRefused(ctx context.Context, out *Live, ie *Error) {
	kept := "counted"
	defer func() {
		if p.Refused != nil {
			p.Refused.WithLabelValues(RefusalReason(ie.Kind), kept).Inc()
		}
	}()
	switch {
	case errors.Is(ie.Kind, ErrUnknownAccount), errors.Is(ie.Kind, ErrTooMany), errors.Is(ie.Kind, ErrUnavailable):
		return
	case out.Entry.AccountID == "" || !p.refused.take(out.Entry.AccountID, p.RefusedPerMinute, time.Now()):
		return
	}
	out.Entry.RawBody = text.Truncate(out.Entry.RawBody, maxLoggedRefused)
	out.Entry.RawQuery = text.Truncate(out.Entry.RawQuery, maxLoggedRefused)
	out.Entry.Outcome = string(conv.OutcomeRejected)
	out.Entry.Error = ie.Message
	if err := p.Store.InsertLog(ctx, &out.Entry); err != nil {
		p.Logger.Error("rejected postback not logged", "account_id", out.Entry.AccountID, "error", err)
		return
	}
	kept = "stored"
	// Logged for the stored sample only, by reason (a message may name the
	// sender's address).
	p.Logger.Warn("postback refused", "account_id", out.Entry.AccountID, "integration", out.Entry.Integration,
		"reason", RefusalReason(ie.Kind), "postback_id", out.Entry.ID)
}

// CheckAccess applies the integration's tokens and address allow-list; it
// returns why the request is refused, or "". A closed integration (every one not
// created explicitly open) takes any of its live tokens: during a rotation both
// the old and the new one work until the old is revoked.
func CheckAccess(integ store.Integration, token, sourceIP string) string {
	if !integ.Open && !anyTokenMatches(token, integ.Tokens) {
		return "invalid or missing token"
	}
	if len(integ.AllowedCIDRs) > 0 {
		ip := net.ParseIP(sourceIP)
		for _, cidr := range integ.AllowedCIDRs {
			if _, n, err := net.ParseCIDR(cidr); err == nil && ip != nil && n.Contains(ip) {
				return ""
			}
		}
		return "source address " + sourceIP + " is not allowed"
	}
	return ""
}

// anyTokenMatches compares got with every live token in constant time, without
// stopping at the first match, so the answer time says nothing about which
// token (or how much of one) matched.
func anyTokenMatches(got string, tokens []store.IntegrationToken) bool {
	if got == "" {
		return false
	}
	match := 0
	for _, t := range tokens {
		match |= subtle.ConstantTimeCompare([]byte(got), []byte(t.Secret))
	}
	return match == 1
}
