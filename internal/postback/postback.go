package postback

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
)

// Status is the canonical conversion status after vocabulary mapping: the one
// status type (conv.Status), which the state machine decides on.
type Status = conv.Status

const (
	StatusPending  = conv.StatusPending
	StatusApproved = conv.StatusApproved
	StatusRejected = conv.StatusRejected
)

// Where EventName came from (seed 001 priority order).
const (
	EventSourceEventName      = "event_name"
	EventSourceConversionType = "conversion_type"
	EventSourceAutomatic      = "automatic"
)

// Standard event names produced by conversion_type and the automatic rule.
const (
	EventOutboundClick        = "OutboundClick"
	EventFormSubmit           = "FormSubmit"
	EventLead                 = "Lead"
	EventCompleteRegistration = "CompleteRegistration"
	EventPurchase             = "Purchase"
)

// Postback is the canonical form of one received postback. It travels in
// Temporal payloads and a jsonb column, so it must survive encoding/json
// unchanged: money is a decimal string, times are RFC 3339 UTC.
type Postback struct {
	ClickID   string `json:"click_id,omitempty"`
	RefID     string `json:"ref_id,omitempty"`
	Email     string `json:"email,omitempty"`
	VisitorID string `json:"visitor_id,omitempty"` // FunnelFlux vid
	PageID    string `json:"page_id,omitempty"`    // FunnelFlux p

	Value      *decimal.Decimal `json:"value,omitempty"`       // nil when not sent
	ValueAlias string           `json:"value_alias,omitempty"` // documented alias that carried Value
	Currency   string           `json:"currency,omitempty"`    // "" means the account default

	TransactionID string `json:"transaction_id,omitempty"`
	BrandName     string `json:"brand_name,omitempty"`
	// EventID is the id the browser pixel sent with the same conversion,
	// so Meta and TikTok can count the pair once.
	EventID string `json:"event_id,omitempty"`
	// Tag: the conversion came from the browser tag (set by the intake's
	// browser door, never read from a parameter); its EventID is the one the
	// tag returned to the page, so Meta and TikTok deliveries send it.
	Tag bool `json:"tag,omitempty"`

	EventName      string `json:"event_name"`
	EventSource    string `json:"event_source"`
	ConversionType string `json:"conversion_type,omitempty"` // as sent, trimmed

	RawStatus string `json:"raw_status,omitempty"`
	Status    Status `json:"status"`
	// StatusSource says which vocabulary read RawStatus (status.go): the
	// integration's status_map, the preset, the generic words, or none
	// (unknown, approved).
	StatusSource string `json:"status_source,omitempty"`

	Timestamp        *time.Time `json:"timestamp,omitempty"` // nil: use receive time
	DisablePostbacks bool       `json:"disable_postbacks,omitempty"`

	Traits      Traits  `json:"traits"`
	Items       []Item  `json:"items,omitempty"`
	Passthrough []Param `json:"passthrough,omitempty"` // xat_ prefix removed, at most 5

	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`

	// Consent is the consent signal the postback carried (consent.go); nil
	// when it carried none.
	Consent *Consent `json:"consent,omitempty"`
	// GAClientID is the visitor's Google Analytics client id sent as
	// ga_client_id or client_id (raw _ga cookie or bare "x.y"); it wins over
	// the click's.
	GAClientID string `json:"ga_client_id,omitempty"`

	Params []Param `json:"params"` // everything received, in order, for the log
}

// Traits are raw customer data; destinations normalise and hash them.
type Traits struct {
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Birthdate string `json:"birthdate,omitempty"`
	City      string `json:"city,omitempty"`
	State     string `json:"state,omitempty"`
	Zipcode   string `json:"zipcode,omitempty"`
	Country   string `json:"country,omitempty"`
}

// Item is one line of an e-commerce conversion.
type Item struct {
	ID       string           `json:"id,omitempty"`
	Name     string           `json:"name,omitempty"`
	Variant  string           `json:"variant,omitempty"`
	Price    *decimal.Decimal `json:"price,omitempty"`
	Quantity *decimal.Decimal `json:"quantity,omitempty"`
}
