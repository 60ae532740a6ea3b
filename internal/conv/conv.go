// Package conv holds the conversion domain types shared by the workflow, its
// activities and the store: a transaction's state, the decision the state machine
// takes on a postback, and what recording it produced.
package conv

import (
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Status of a transaction; the empty status means no conversion yet.
type Status string

// The statuses a transaction can be in.
const (
	StatusNone     Status = ""
	StatusPending  Status = "pending"
	StatusApproved Status = "approved"
	StatusRejected Status = "rejected"
)

// PendingValue is the placeholder revenue of a pending conversion (FunnelFlux).
var PendingValue = decimal.RequireFromString("0.01")

// Outcome of one postback, as the postback log shows it.
type Outcome string

const (
	OutcomeAccepted   Outcome = "accepted"
	OutcomeRejected   Outcome = "rejected"
	OutcomeDuplicate  Outcome = "duplicate"
	OutcomeSuppressed Outcome = "suppressed"
)

// State of one transaction as the workflow keeps it.
type State struct {
	ConversionID int64           `json:"conversion_id,omitempty"`
	Status       Status          `json:"status,omitempty"`
	Value        decimal.Decimal `json:"value"`
	Currency     string          `json:"currency,omitempty"`
	EventName    string          `json:"event_name,omitempty"`
	ClickID      string          `json:"click_id,omitempty"`
	// Rebill numbers the conversion within its transaction: 0 for the
	// transaction's own, n for the n-th new conversion of duplicate mode new.
	// The state is the transaction's latest conversion.
	Rebill int `json:"rebill,omitempty"`
}

// Transition is one entry of a transaction's history.
type Transition struct {
	PostbackID int64           `json:"postback_id"`
	At         time.Time       `json:"at"`
	From       Status          `json:"from"`
	To         Status          `json:"to"`
	Value      decimal.Decimal `json:"value"`
	Outcome    Outcome         `json:"outcome"`
	Note       string          `json:"note,omitempty"`
}

// Attribution is what the click lookup found for a postback.
type Attribution struct {
	Attributed      bool             `json:"attributed"`
	Reason          string           `json:"reason,omitempty"` // why not attributed
	MatchedBy       string           `json:"matched_by,omitempty"`
	ClickID         string           `json:"click_id,omitempty"`
	CampaignID      int64            `json:"campaign_id,omitempty"`
	TrafficSource   string           `json:"traffic_source,omitempty"`
	ExternalID      string           `json:"external_id,omitempty"`
	DefaultPayout   *decimal.Decimal `json:"default_payout,omitempty"`
	AccountCurrency string           `json:"account_currency"`
	// DuplicateMode is the attributed campaign's ("" leaves it to the integration).
	DuplicateMode string `json:"duplicate_mode,omitempty"`
}

// Decision is what the state machine makes of one postback.
type Decision struct {
	Apply bool            `json:"apply"` // false: nothing changes (duplicate or stale)
	From  Status          `json:"from"`
	To    Status          `json:"to"`
	Value decimal.Decimal `json:"value"`
	Note  string          `json:"note,omitempty"`
	// NewConversion: the postback is a new conversion of the transaction
	// (duplicate mode new), recorded beside the ones it has; From is then none.
	NewConversion bool `json:"new_conversion,omitempty"`
}

// DeliveryRef names one delivery the workflow must run.
type DeliveryRef struct {
	ID              int64  `json:"id"`
	DestinationID   int64  `json:"destination_id"`
	DestinationType string `json:"destination_type"`
	Summary         string `json:"summary"`
}

// RecordResult is the transaction's state after a postback was recorded, and the
// deliveries the workflow must now run.
type RecordResult struct {
	State      State         `json:"state"`
	Outcome    Outcome       `json:"outcome"`
	Deliveries []DeliveryRef `json:"deliveries,omitempty"`
}

// WorkflowID is the id of a transaction's workflow: conv/<account>/<transaction
// key>. The one definition, for the workflow's contract and the store's views.
func WorkflowID(accountID, txKey string) string { return "conv/" + accountID + "/" + txKey }

// SubNames are the sub-id parameters a click carries, sub1 to sub10, in order:
// the one place the rule is written.
var SubNames = func() []string {
	names := make([]string, 10)
	for i := range names {
		names[i] = "sub" + strconv.Itoa(i+1)
	}
	return names
}()

// IsSubName reports whether name is one of SubNames.
func IsSubName(name string) bool {
	for _, n := range SubNames {
		if n == name {
			return true
		}
	}
	return false
}

// TagConflict says why the browser tag may not send a conversion of value
// (nil: none sent) for a transaction in state st, or "". A browser may create
// a transaction, or repeat an approved one as it stands (a duplicate); a
// rejection, a pending status and a value are a network's to change. The
// intake's browser door refuses on it, and the workflow's prepare step reads a
// browser postback that reached a transaction changed in between as a
// duplicate of the state.
func TagConflict(st State, value *decimal.Decimal) string {
	switch {
	case st.Status == StatusNone:
		return ""
	case st.Status == StatusRejected:
		return "the transaction was reported rejected; a browser cannot approve it"
	case st.Status != StatusApproved:
		return "the transaction is " + string(st.Status) + "; a browser cannot change its status"
	case value != nil && !value.Equal(st.Value):
		return "the transaction's value is " + st.Value.String() + "; a browser cannot change it"
	}
	return ""
}
