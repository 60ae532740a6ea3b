package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/internal/text"
)

// TagIntegration names the browser door in the postback log and on conversions.
const TagIntegration = "tag"

// BrowserConversion is one POST /{account}/t/conversion as the tag sent it.
// Only these names are read: a browser cannot send a status, traits or
// disable_postbacks. consent ("granted" or "denied") answers both consent
// questions.
type BrowserConversion struct {
	AccountID string
	Body      []byte // JSON: rev, tx, event, currency, p, vid, hit, event_id, consent
	Path      string
	SourceIP  string
	UserAgent string
	// Events the account lets a browser send (store.TagSettings.Events).
	Events      []string
	TraceParent string
	ReceivedAt  time.Time
}

type browserBody struct {
	Rev      json.RawMessage `json:"rev"`
	Tx       string          `json:"tx"`
	Event    string          `json:"event"`
	Currency string          `json:"currency"`
	P        string          `json:"p"`
	Vid      string          `json:"vid"`
	Hit      string          `json:"hit"`
	EventID  string          `json:"event_id"`
	Consent  string          `json:"consent"`
}

// AcceptBrowser is the browser tag's door. It reads the tag's fields, then
// runs them through the same steps as a postback (parse with the FunnelFlux
// contract, limits, canonical size, keyed transaction key, log row), with
// three more checks: the event must be one the account lets a browser send,
// and a transaction a network already reported can only be repeated as it
// stands, never approved after a rejection, moved from pending, or given
// another value. Refusals after the account is known are logged.
//
// The conversion carries an event_id (the page's, or a new one): the tag
// returns it for the page's fbq/ttq call, and Meta and TikTok deliveries of a
// tag conversion send it (internal/destinations pixelEventID).
func (p *Pipeline) AcceptBrowser(ctx context.Context, b BrowserConversion, gate AccountGate) (*Live, error) {
	out := &Live{Entry: store.LogEntry{
		AccountID:   b.AccountID,
		Integration: TagIntegration,
		Method:      "POST",
		Path:        text.Storable(b.Path, maxLoggedPath),
		RawBody:     text.Storable(string(b.Body), maxLoggedBody),
		SourceIP:    b.SourceIP,
		ReceivedAt:  b.ReceivedAt.UTC(),
		TraceParent: b.TraceParent,
	}}
	err := p.admitBrowser(ctx, b, out, gate)
	if err != nil {
		ie := AsError(err)
		if errors.Is(ie.Kind, ErrConflict) {
			p.Logger.Warn("browser conversion refused", "account_id", b.AccountID, "reason", ie.Message)
		}
		p.logRefused(ctx, out, ie)
		return out, err
	}
	return out, nil
}

func (p *Pipeline) admitBrowser(ctx context.Context, b BrowserConversion, out *Live, gate AccountGate) error {
	if !PlausibleName(b.AccountID) {
		out.Entry.AccountID = ""
		return Refuse(ErrUnknownAccount, "", "unknown account")
	}
	acct, err := p.Accounts.Account(ctx, b.AccountID)
	if err != nil {
		out.Entry.AccountID = ""
		if store.IsNotFound(err) {
			return Refuse(ErrUnknownAccount, "", "unknown account")
		}
		return Refuse(ErrUnavailable, "", "", fmt.Errorf("look up account: %w", err))
	}
	out.Known = true
	if gate != nil {
		if err := gate(acct.ID); err != nil {
			return err
		}
	}
	var in browserBody
	dec := json.NewDecoder(bytes.NewReader(b.Body))
	if err := dec.Decode(&in); err != nil {
		return Refuse(ErrMalformed, "", "body must be a JSON object")
	}
	eventID := in.EventID
	if eventID == "" {
		eventID = "cr_" + store.RandomID(22)
	} else if !SafeID(eventID) {
		return Refuse(ErrUnprocessable, "event_id", "event_id must be up to 64 letters, digits, '-', '_', '.' or '~'")
	}
	// The tag's names, as the FunnelFlux contract reads them; nothing else.
	fields := map[string]any{"hit": in.Hit, "vid": in.Vid, "p": in.P, "tx": in.Tx, "currency": in.Currency,
		"event_name": in.Event, "event_id": eventID, "ip": b.SourceIP, "user_agent": b.UserAgent}
	if in.Consent == "granted" || in.Consent == "denied" {
		// The page's flag answers both of Google's consent questions; it
		// travels with the conversion to every ad platform.
		fields["consent_ad_user_data"], fields["consent_ad_personalization"] = in.Consent, in.Consent
	}
	if len(in.Rev) > 0 && string(in.Rev) != "null" {
		fields["rev"] = json.RawMessage(in.Rev)
	}
	body, err := json.Marshal(fields)
	if err != nil {
		return Refuse(ErrMalformed, "", "body must be a JSON object")
	}
	pb, err := Parse(postback.Request{Body: body, ContentType: "application/json"}, postback.Integration{Preset: GlobalPreset})
	if err != nil {
		return err
	}
	pb.Tag = true
	if !slices.Contains(b.Events, pb.EventName) {
		return Refuse(ErrForbidden, "event", "event "+Quote(pb.EventName)+" may not be sent from a browser")
	}
	d, err := p.decideParsed(ctx, acct.ID, pb, b.ReceivedAt)
	if err != nil {
		return err
	}
	out.Decision = d
	out.Entry.TransactionID = pb.TransactionID
	out.Entry.WorkflowID = d.WorkflowID
	st, err := p.Store.LoadState(ctx, acct.ID, d.TxKey)
	if err != nil {
		return Refuse(ErrUnavailable, "", "", err)
	}
	if msg := conv.TagConflict(st, pb.Value); msg != "" {
		return Refuse(ErrConflict, "tx", msg)
	}
	return p.logAccepted(ctx, out, d)
}

// SafeID accepts the visitor and event ids this server hands out and any other
// URL- and cookie-safe id of up to 64 characters.
func SafeID(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}
