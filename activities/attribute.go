package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// PrepareInput asks for a postback's attribution and, on a run's first postback,
// the transaction's state as recorded in PostgreSQL.
type PrepareInput struct {
	AccountID  string            `json:"account_id"`
	TxKey      string            `json:"tx_key"`
	LoadState  bool              `json:"load_state"`
	Postback   postback.Postback `json:"postback"`
	ReceivedAt time.Time         `json:"received_at"`
}

// PrepareResult carries what Prepare found.
type PrepareResult struct {
	State       *conv.State      `json:"state,omitempty"`
	Attribution conv.Attribution `json:"attribution"`
}

// Prepare attributes the postback to its click and loads the state when asked.
func (a *Activities) Prepare(ctx context.Context, in PrepareInput) (PrepareResult, error) {
	var res PrepareResult
	acct, err := a.account(ctx, in.AccountID)
	if err != nil {
		return res, fmt.Errorf("prepare %s: %w", in.TxKey, err)
	}
	res.Attribution, err = a.attribute(ctx, acct, &in.Postback, in.ReceivedAt)
	if err != nil {
		return res, fmt.Errorf("attribute %s: %w", in.TxKey, err)
	}
	if in.LoadState {
		st, err := a.Store.LoadState(ctx, in.AccountID, in.TxKey)
		if err != nil {
			return res, fmt.Errorf("prepare %s: %w", in.TxKey, err)
		}
		res.State = &st
	}
	return res, nil
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
