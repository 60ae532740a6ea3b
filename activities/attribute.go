package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// PrepareInput asks for a postback's attribution and, on a run's first postback,
// the transaction's state as recorded in PostgreSQL. The postback is named by id
// and loaded from the postback log here, so its content (personal data included)
// never enters the workflow's history.
type PrepareInput struct {
	AccountID  string    `json:"account_id"`
	TxKey      string    `json:"tx_key"`
	LoadState  bool      `json:"load_state"`
	PostbackID int64     `json:"postback_id,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	// Integration is the slug the postback came through, whose duplicate mode
	// applies unless the attributed campaign sets one ("" in older histories).
	Integration string `json:"integration,omitempty"`
	// Postback is set only by workflows replaying histories recorded before the
	// postback was passed by reference.
	Postback *postback.Postback `json:"postback,omitempty"`
}

// PrepareResult carries what Prepare found: no personal data.
type PrepareResult struct {
	State       *conv.State      `json:"state,omitempty"`
	Attribution conv.Attribution `json:"attribution"`
	Facts       *PostbackFacts   `json:"facts,omitempty"` // nil in histories recorded before by-reference
	// DuplicateMode is the mode a repeated approval is decided with: the
	// campaign's, else the integration's; "" for ignore (and in histories
	// recorded before duplicate modes).
	DuplicateMode conv.DuplicateMode `json:"duplicate_mode,omitempty"`
}

// PostbackFacts are the parts of a postback the state machine and the record step
// need: statuses, money, names and ids, never an email, phone, name, IP or user agent.
type PostbackFacts struct {
	Status           postback.Status  `json:"status"`
	Value            *decimal.Decimal `json:"value,omitempty"`
	Currency         string           `json:"currency,omitempty"`
	EventName        string           `json:"event_name,omitempty"`
	EventSource      string           `json:"event_source,omitempty"`
	TransactionID    string           `json:"transaction_id,omitempty"`
	Timestamp        *time.Time       `json:"timestamp,omitempty"`
	DisablePostbacks bool             `json:"disable_postbacks,omitempty"`
}

// FactsOf extracts a postback's facts.
func FactsOf(p *postback.Postback) PostbackFacts {
	return PostbackFacts{Status: p.Status, Value: p.Value, Currency: p.Currency, EventName: p.EventName,
		EventSource: p.EventSource, TransactionID: p.TransactionID, Timestamp: p.Timestamp, DisablePostbacks: p.DisablePostbacks}
}

// Prepare loads the postback, attributes it to its click and loads the state when
// asked. A postback that is gone, or an account that is gone, fails for good.
func (a *Activities) Prepare(ctx context.Context, in PrepareInput) (PrepareResult, error) {
	var res PrepareResult
	p := in.Postback
	if p == nil {
		loaded, err := a.loadPostback(ctx, in.AccountID, in.PostbackID)
		if err != nil {
			return res, err
		}
		p = loaded
		facts := FactsOf(p)
		res.Facts = &facts
	}
	acct, err := a.account(ctx, in.AccountID)
	if store.IsNotFound(err) {
		return res, permanent(store.FailedMissing, fmt.Errorf("account %s no longer exists", in.AccountID))
	}
	if err != nil {
		return res, classifyDB(fmt.Errorf("prepare %s: %w", in.TxKey, err))
	}
	res.Attribution, err = a.attribute(ctx, acct, p, in.ReceivedAt)
	if err != nil {
		return res, classifyDB(fmt.Errorf("attribute %s: %w", in.TxKey, err))
	}
	if res.DuplicateMode, err = a.duplicateMode(ctx, in.AccountID, in.Integration, res.Attribution); err != nil {
		return res, classifyDB(fmt.Errorf("prepare %s: %w", in.TxKey, err))
	}
	if in.LoadState {
		st, err := a.Store.LoadState(ctx, in.AccountID, in.TxKey)
		if err != nil {
			return res, classifyDB(fmt.Errorf("prepare %s: %w", in.TxKey, err))
		}
		res.State = &st
	}
	if p.Tag && res.Facts != nil {
		if err := a.holdNetworkState(ctx, in, res.State, res.Facts); err != nil {
			return res, classifyDB(fmt.Errorf("prepare %s: %w", in.TxKey, err))
		}
	}
	return res, nil
}

// duplicateMode is the mode a postback is decided with (conv.EffectiveDuplicateMode):
// the attributed campaign's, else its integration's (read through the shared
// reader, like the account); "" for ignore. A deleted integration has none.
func (a *Activities) duplicateMode(ctx context.Context, accountID, slug string, at conv.Attribution) (conv.DuplicateMode, error) {
	integration := ""
	if at.DuplicateMode == "" && slug != "" {
		in, err := a.Accounts.Integration(ctx, accountID, slug)
		switch {
		case err == nil:
			integration = in.DuplicateMode
		case !store.IsNotFound(err):
			return "", fmt.Errorf("duplicate mode of integration %s: %w", slug, err)
		}
	}
	if m := conv.EffectiveDuplicateMode(at.DuplicateMode, integration); m != conv.DuplicateIgnore {
		return m, nil
	}
	return "", nil
}

// holdNetworkState keeps a browser-tag postback from changing what a network
// reported. The intake refused it when the transaction already stood against
// it; one that got past (a network's postback applied in between) is read as
// a repeat of the state as it now stands, which the state machine records as
// a duplicate that changes and delivers nothing.
func (a *Activities) holdNetworkState(ctx context.Context, in PrepareInput, loaded *conv.State, facts *PostbackFacts) error {
	st := loaded
	if st == nil {
		cur, err := a.Store.LoadState(ctx, in.AccountID, in.TxKey)
		if err != nil {
			return err
		}
		st = &cur
	}
	msg := conv.TagConflict(*st, facts.Value)
	if msg == "" {
		return nil
	}
	a.Logger.Warn("browser conversion held as a duplicate", "account_id", in.AccountID, "postback_id", in.PostbackID, "reason", msg)
	value := st.Value
	facts.Status, facts.Value, facts.Currency = postback.Status(st.Status), &value, st.Currency
	return nil
}

// loadPostback reads a postback handed over by id from the postback log.
func (a *Activities) loadPostback(ctx context.Context, accountID string, id int64) (*postback.Postback, error) {
	content, err := a.Store.LoadPostback(ctx, id)
	if store.IsNotFound(err) {
		return nil, permanent(store.FailedMissing, fmt.Errorf("postback %d is no longer in the postback log", id))
	}
	if err != nil {
		return nil, classifyDB(err)
	}
	if content.AccountID != accountID {
		return nil, permanent(store.FailedInternal, fmt.Errorf("postback %d belongs to another account", id))
	}
	var p postback.Postback
	if err := json.Unmarshal(content.Canonical, &p); err != nil {
		return nil, permanent(store.FailedInternal, fmt.Errorf("decode postback %d: %w", id, err))
	}
	return &p, nil
}

// attribute looks the click up in the documented order: click id (or hit) exact;
// visitor + page, the visitor's most recent hit on that page within its session;
// visitor alone, its most recent hit; ref_id, the click with that external
// reference; email, the most recent click with it inside the attribution window.
// No match is not an error: the conversion is recorded unattributed, with the reason.
func (a *Activities) attribute(ctx context.Context, acct store.Account, p *postback.Postback, receivedAt time.Time) (conv.Attribution, error) {
	at := receivedAt
	if p.Timestamp != nil {
		at = *p.Timestamp
	}
	var (
		click   store.Click
		err     error
		by      string
		reasons []string
	)
	try := func(method string, find func() (store.Click, error), reason string) bool {
		click, err = find()
		if err == nil {
			by = method
			return true
		}
		if store.IsNotFound(err) {
			reasons = append(reasons, reason)
			err = nil
		}
		return false
	}
	found := false
	// Each key the postback carries is tried in turn; a key that matches nothing
	// falls through to the next one. vid + p and vid alone are one step: with p the
	// hit must be on that page (no fallback to another page of the visitor).
	if p.ClickID != "" {
		found = try("click_id", func() (store.Click, error) { return a.Store.GetClick(ctx, acct.ID, p.ClickID) },
			"No match found for click_id "+p.ClickID)
	}
	if !found && err == nil && p.VisitorID != "" {
		found = try("visitor", func() (store.Click, error) {
			return a.Store.VisitorHit(ctx, acct.ID, p.VisitorID, p.PageID, a.session(), at)
		}, visitorReason(p))
	}
	if !found && err == nil && p.RefID != "" {
		found = try("ref_id", func() (store.Click, error) { return a.Store.ClickByRef(ctx, acct.ID, p.RefID) },
			"No match found for ref_id "+p.RefID)
	}
	email := p.Email
	if email == "" {
		email = p.Traits.Email
	}
	if !found && err == nil && email != "" {
		found = try("email", func() (store.Click, error) { return a.Store.ClickByEmail(ctx, acct.ID, email, at) },
			"No match found for email inside the attribution window")
	}
	if err != nil {
		return conv.Attribution{}, err
	}
	out := conv.Attribution{AccountCurrency: acct.Currency}
	if !found {
		out.Reason = joinReasons(reasons)
		out.ClickID = p.ClickID
		if a.Logger != nil {
			a.Logger.Info("conversion unattributed", "account", acct.ID, "transaction_id", p.TransactionID,
				"click_id", p.ClickID, "reason", out.Reason)
		}
		return out, nil
	}
	out.Attributed = true
	out.MatchedBy = by
	out.ClickID = click.ID
	if click.CampaignID != nil {
		out.CampaignID = *click.CampaignID
	}
	out.TrafficSource = click.TrafficSource
	out.ExternalID = click.ExternalID
	out.DefaultPayout = click.DefaultPayout
	out.DuplicateMode = click.DuplicateMode
	return out, nil
}

func visitorReason(p *postback.Postback) string {
	if p.PageID != "" {
		return "No match found for vid " + p.VisitorID + " on page " + p.PageID + " within its session"
	}
	return "No match found for vid " + p.VisitorID + " within its session"
}

func joinReasons(rs []string) string {
	if len(rs) == 0 {
		return "No click_id, vid, ref_id or email to look up"
	}
	return strings.Join(rs, "; ")
}
