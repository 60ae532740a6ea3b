// Package intake is the one accept pipeline: every door that takes a conversion
// in (the live postback endpoints, the dry-run test, each CSV import row, the
// browser tag) runs the same steps, so the same input gets the same decision and
// the same transaction key whichever door it came through.
//
// Steps: look up the account and integration, check access (live doors), parse
// against the integration's contract, check the limits and the canonical size,
// key the transaction (an email-only one by a keyed hash, never the address), and
// write the postback log row. Everything that could fail after the row is
// written is checked before it, so an accepted postback can always be applied.
package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/convrelay/convrelay/internal/accountcache"
	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// IDSecretName is the installation secret that keys the hash of personal data in
// transaction keys (and so in Temporal workflow ids).
const IDSecretName = "transaction_key_hmac"

// Pipeline holds what every door shares.
type Pipeline struct {
	Store    *store.Store
	Accounts *accountcache.Reader
	Limits   postback.Limits
	// DefaultAccount owns a global /pb postback whose hit matches no click.
	DefaultAccount string
	Logger         *slog.Logger
	// RefusedPerMinute bounds the refused rows stored per account per minute
	// (refused.go); 0 stores none. Refused, when set, counts every refusal.
	RefusedPerMinute int
	Refused          *prometheus.CounterVec

	refused refusedSampler

	idMu     sync.Mutex
	idSecret []byte
}

// New builds the pipeline with the documented limits.
func New(st *store.Store, accounts *accountcache.Reader, logger *slog.Logger) *Pipeline {
	if logger == nil {
		logger = slog.Default()
	}
	return &Pipeline{Store: st, Accounts: accounts, Limits: postback.DefaultLimits, Logger: logger,
		RefusedPerMinute: DefaultRefusedPerMinute}
}

// Decision is what the pipeline made of one postback: the parsed postback, its
// canonical form as stored, and its transaction key and workflow id.
type Decision struct {
	Postback   *postback.Postback
	Canonical  json.RawMessage
	TxKey      string
	WorkflowID string
	// DuplicateMode (and where it comes from: campaign, integration or
	// default) is set by DryRun only: what a repeated approval of this
	// transaction would mean.
	DuplicateMode       conv.DuplicateMode
	DuplicateModeSource string
}

// Decide runs the steps every door shares once the contract is known: parse,
// limits, canonical size, keyed transaction key.
func (p *Pipeline) Decide(ctx context.Context, accountID string, contract postback.Integration, req postback.Request, receivedAt time.Time) (Decision, error) {
	pb, err := Parse(req, contract)
	if err != nil {
		return Decision{}, err
	}
	return p.decideParsed(ctx, accountID, pb, receivedAt)
}

func (p *Pipeline) decideParsed(ctx context.Context, accountID string, pb *postback.Postback, receivedAt time.Time) (Decision, error) {
	if err := p.Limits.Check(pb, receivedAt); err != nil {
		return Decision{}, limitError(err)
	}
	canonical, err := json.Marshal(pb)
	if err != nil {
		return Decision{}, Refuse(ErrUnavailable, "", "", fmt.Errorf("encode postback: %w", err))
	}
	if err := p.Limits.CheckCanonical(canonical); err != nil {
		return Decision{}, limitError(err)
	}
	secret, err := p.IDSecret(ctx)
	if err != nil {
		return Decision{}, Refuse(ErrUnavailable, "", "", err)
	}
	txKey := pb.KeyedTransactionKey(secret)
	return Decision{Postback: pb, Canonical: canonical, TxKey: txKey, WorkflowID: conv.WorkflowID(accountID, txKey)}, nil
}

// IDSecret is the installation's key for hashing personal data into transaction
// keys, loaded once; a failed load is tried again on the next call.
func (p *Pipeline) IDSecret(ctx context.Context) ([]byte, error) {
	p.idMu.Lock()
	defer p.idMu.Unlock()
	if p.idSecret != nil {
		return p.idSecret, nil
	}
	secret, err := p.Store.InstallationSecret(ctx, IDSecretName)
	if err != nil {
		return nil, fmt.Errorf("transaction key secret: %w", err)
	}
	p.idSecret = secret
	return secret, nil
}

// Parse reads a postback against a contract, refusing with the field at fault.
func Parse(req postback.Request, contract postback.Integration) (*postback.Postback, error) {
	pb, err := postback.Parse(req, contract)
	if err == nil {
		return pb, nil
	}
	var verr *postback.Error
	switch {
	case errors.Is(err, postback.ErrUnknownPreset):
		return nil, Refuse(ErrUnprocessable, "preset", "unknown preset "+Quote(contract.Preset))
	case errors.Is(err, postback.ErrMalformedBody):
		return nil, Refuse(ErrMalformed, "", err.Error())
	case errors.As(err, &verr):
		return nil, Refuse(ErrUnprocessable, verr.Field, verr.Message)
	default:
		return nil, Refuse(ErrUnavailable, "", "", fmt.Errorf("parse postback: %w", err))
	}
}

func limitError(err error) error {
	var tooBig *postback.TooLargeError
	var verr *postback.Error
	switch {
	case errors.As(err, &tooBig):
		return Refuse(ErrTooLarge, "", tooBig.Message)
	case errors.As(err, &verr):
		return Refuse(ErrUnprocessable, verr.Field, verr.Message)
	default:
		return Refuse(ErrUnprocessable, "", "postback over a limit")
	}
}

// Lookup finds the account and the integration named by a request. A name that
// cannot exist (not UTF-8, NUL, over 255 bytes) is unknown without a database
// round trip; a database error is unavailable, never unknown.
func (p *Pipeline) Lookup(ctx context.Context, accountID, slug string) (store.Account, store.Integration, error) {
	if !PlausibleName(accountID) {
		return store.Account{}, store.Integration{}, Refuse(ErrUnknownAccount, "", "unknown account")
	}
	acct, err := p.Accounts.Account(ctx, accountID)
	if err != nil {
		if store.IsNotFound(err) {
			return acct, store.Integration{}, Refuse(ErrUnknownAccount, "", "unknown account")
		}
		return acct, store.Integration{}, Refuse(ErrUnavailable, "", "", fmt.Errorf("look up account: %w", err))
	}
	if !PlausibleName(slug) {
		return acct, store.Integration{}, Refuse(ErrUnknownIntegration, "", "unknown integration")
	}
	integ, err := p.Accounts.Integration(ctx, acct.ID, slug)
	if err != nil {
		if store.IsNotFound(err) {
			return acct, integ, Refuse(ErrUnknownIntegration, "", "unknown integration "+Quote(slug))
		}
		return acct, integ, Refuse(ErrUnavailable, "", "", fmt.Errorf("look up integration: %w", err))
	}
	return acct, integ, nil
}

// PlausibleName says whether s could name an account, an integration or a hit.
func PlausibleName(s string) bool {
	return s != "" && len(s) <= 255 && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// Quote puts s in double quotes for a message, its own quotes made single.
func Quote(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "'") + "\"" }
