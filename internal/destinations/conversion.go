package destinations

import (
	"time"

	"github.com/shopspring/decimal"
)

// Conversion is what the workflow hands to a delivery: one transaction's
// event, already attributed, in neutral form.
type Conversion struct {
	// EventID is the stable idempotency key per (transaction, destination,
	// event). It becomes Meta/TikTok event_id, Google order_id and the
	// webhook id, so a retried delivery never double-counts.
	EventID   string
	EventName string // Purchase, Lead, CompleteRegistration, custom...
	EventTime time.Time
	Status    string // pending | approved | rejected
	// Kind is what the delivery does: send the conversion, tell a webhook
	// it was taken back (reversal), or adjust what Google Ads already has
	// (restatement, retraction). KindFor picks it from the life event.
	Kind string
	// OrderID is the id the platform knows this transaction by at this
	// destination, the same for every life event so an adjustment finds the
	// conversion it adjusts (Google order_id). "" means EventID.
	OrderID string
	// ChangedAt is when the life event happened (an adjustment's time);
	// zero means the send time.
	ChangedAt time.Time
	Value     decimal.Decimal
	Currency  string
	// AccountCurrency and Rate convert Value into the account's currency
	// (Rate nil: not known yet); a payout rule in the account's currency
	// uses them.
	AccountCurrency string
	Rate            *decimal.Decimal

	TransactionID string
	// PixelEventID is the postback's own event_id: the browser pixel's id
	// for the same conversion (see event_id_source).
	PixelEventID string
	// FromTag: the conversion came from the browser tag, whose PixelEventID
	// the page was given for its fbq/ttq call: Meta and TikTok send it
	// unless the destination chose the transaction id.
	FromTag       bool
	ClickID       string
	ExternalID    string // the network's reference id ({external_id} macro)
	CampaignID    string
	TrafficSource string
	SourceURL     string

	// Test marks a sample sent from the admin API: platforms with a
	// validation mode use it (Google Ads validateOnly, GA4's debug
	// endpoint), so nothing is recorded there either.
	Test bool

	// Consent is the user's consent signal as the conversion carried it;
	// the zero value (no signal) adds nothing to any payload.
	Consent Consent

	User        UserData
	Items       []Item
	Subs        map[string]string // sub1..sub10 of the click
	Passthrough map[string]string
}

// Kinds of conversion delivery.
const (
	KindConversion = "conversion"
	KindReversal   = "reversal"
	// KindRestatement changes the value of a conversion Google Ads has
	// (conversion adjustment RESTATEMENT, with the new value).
	KindRestatement = "restatement"
	// KindRetraction takes back a conversion Google Ads has (RETRACTION).
	KindRetraction = "retraction"
)

// orderID is the conversion's stable order id at this destination.
func (c Conversion) orderID() string {
	if c.OrderID != "" {
		return c.OrderID
	}
	return c.EventID
}

// UserData holds the raw (unhashed) traits and click identifiers; each
// platform builder normalises and hashes what it needs.
type UserData struct {
	Email, Phone        string
	FirstName, LastName string
	Birthdate           string
	City, State, Zip    string
	Country             string
	// DefaultRegion is the account's country, when known: the region a
	// phone written nationally is read in when Country is empty.
	DefaultRegion  string
	ExternalID     string
	IP, UserAgent  string
	FBC, FBP       string
	GCLID, GBRAID  string
	WBRAID, TTCLID string
	// TTP is TikTok's _ttp cookie (the pixel's browser id), sent as is.
	TTP string
	// GAClientID is the visitor's Google Analytics client id (the _ga
	// cookie, raw "GA1.1.x.y" or bare "x.y"), sent to GA4 as client_id.
	GAClientID string
}

// ConsentStatus is one consent answer: ConsentGranted, ConsentDenied, or ""
// when the conversion carried no signal for it.
type ConsentStatus string

// Consent answers.
const (
	ConsentUnknown ConsentStatus = ""
	ConsentGranted ConsentStatus = "granted"
	ConsentDenied  ConsentStatus = "denied"
)

// Consent is the user's consent as Google's consent mode names it: whether
// their data may be used for advertising (ad_user_data) and for
// personalised ads (ad_personalization). Each builder maps it to its
// platform's field: Google Data Manager consent, GA4 consent, Meta Limited
// Data Use, TikTok limited_data_use. Both empty: nothing is sent.
type Consent struct {
	AdUserData        ConsentStatus
	AdPersonalization ConsentStatus
}

// IsZero reports whether the conversion carried no consent signal at all.
func (c Consent) IsZero() bool {
	return c.AdUserData == ConsentUnknown && c.AdPersonalization == ConsentUnknown
}

// Item is one line of an order.
type Item struct {
	ID, Name, Variant string
	Price, Quantity   decimal.Decimal
}
