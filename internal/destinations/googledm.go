package destinations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Google Ads through the Data Manager API: POST
// {endpoint}/v1/events:ingest with an OAuth access token (scope
// https://www.googleapis.com/auth/datamanager) and no developer token.
//
// One request carries one destination and one event:
//   - destination: operatingAccount = customer_id (the account that owns the
//     conversion action), loginAccount = login_customer_id when set,
//     productDestinationId = the event's conversion action id;
//   - event: transactionId (the order id, stable over the conversion's life),
//     eventTimestamp, conversionValue + currency, adIdentifiers (one of
//     gclid, gbraid, wbraid), userData (hashed email, phone, name+address),
//     consent when the conversion carries it.
//
// Adjustments: Data Manager has no adjustment type. An event whose
// transactionId matches a conversion already recorded for the same conversion
// action restates it: the new conversionValue and currency replace the
// recorded ones without counting a second conversion. So a value change
// (KindRestatement) sends the same event again with the new value and
// lastUpdatedTimestamp. Data Manager documents no retraction (the Google Ads
// API's RETRACTION, which zeroes value and count), so a rejection
// (KindRetraction) sends the same restatement with conversionValue 0: the
// money leaves value-based reports and bidding, the conversion count stays.
// Operators who need the count removed retract in Google Ads or keep that
// destination on api google_ads.

// DefaultDataManagerEndpoint is the Data Manager API's base URL and
// DefaultDataManagerVersion its version (config "api_version" overrides).
const (
	DefaultDataManagerEndpoint = "https://datamanager.googleapis.com"
	DefaultDataManagerVersion  = "v1"
)

type dmRequest struct {
	Destinations []dmDestination `json:"destinations"`
	Events       []dmEvent       `json:"events"`
	// Encoding says how the hashed user identifiers are written; required
	// when any are sent.
	Encoding     string `json:"encoding,omitempty"`
	ValidateOnly bool   `json:"validateOnly,omitempty"`
}

type dmDestination struct {
	OperatingAccount     dmAccount  `json:"operatingAccount"`
	LoginAccount         *dmAccount `json:"loginAccount,omitempty"`
	ProductDestinationID string     `json:"productDestinationId"`
}

type dmAccount struct {
	AccountType string `json:"accountType"`
	AccountID   string `json:"accountId"`
}

type dmEvent struct {
	TransactionID        string           `json:"transactionId"`
	EventTimestamp       string           `json:"eventTimestamp"`
	LastUpdatedTimestamp string           `json:"lastUpdatedTimestamp,omitempty"`
	ConversionValue      json.Number      `json:"conversionValue,omitempty"`
	Currency             string           `json:"currency,omitempty"`
	AdIdentifiers        *dmAdIdentifiers `json:"adIdentifiers,omitempty"`
	UserData             *dmUserData      `json:"userData,omitempty"`
	Consent              *dmConsent       `json:"consent,omitempty"`
}

type dmAdIdentifiers struct {
	Gclid  string `json:"gclid,omitempty"`
	Gbraid string `json:"gbraid,omitempty"`
	Wbraid string `json:"wbraid,omitempty"`
}

type dmUserData struct {
	UserIdentifiers []dmUserIdentifier `json:"userIdentifiers"`
}

// dmUserIdentifier is a oneof: exactly one field per entry.
type dmUserIdentifier struct {
	EmailAddress string     `json:"emailAddress,omitempty"`
	PhoneNumber  string     `json:"phoneNumber,omitempty"`
	Address      *dmAddress `json:"address,omitempty"`
}

// dmAddress: names are hashed, region and postal code are not; Google wants
// all four.
type dmAddress struct {
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	RegionCode string `json:"regionCode"`
	PostalCode string `json:"postalCode"`
}

type dmConsent struct {
	AdUserData        string `json:"adUserData,omitempty"`
	AdPersonalization string `json:"adPersonalization,omitempty"`
}

// dmMaxIdentifiers is Data Manager's limit of user identifiers per event.
const dmMaxIdentifiers = 10

func dataManagerRequest(ctx context.Context, d Destination, c Conversion, now time.Time) (*http.Request, error) {
	body, err := dataManagerPayload(d, c, now)
	if err != nil {
		return nil, err
	}
	// No developer-token header: Data Manager does not take one.
	return googleRequest(ctx, d, DefaultDataManagerEndpoint, DefaultDataManagerVersion, "/events:ingest", body)
}

func dataManagerPayload(d Destination, c Conversion, now time.Time) (dmRequest, error) {
	action := conversionActionID(googleConversionAction(d, c.EventName))
	if action == "" {
		return dmRequest{}, fmt.Errorf("no conversion action id for event %q", c.EventName)
	}
	dest := dmDestination{
		OperatingAccount:     dmAccount{AccountType: "GOOGLE_ADS", AccountID: digitsOnly(d.cfg("customer_id"))},
		ProductDestinationID: action,
	}
	if id := digitsOnly(d.cfg("login_customer_id")); id != "" {
		typ := strings.ToUpper(d.cfg("login_account_type"))
		if typ == "" {
			typ = "GOOGLE_ADS"
		}
		dest.LoginAccount = &dmAccount{AccountType: typ, AccountID: id}
	}
	ev := dmEvent{
		TransactionID:  c.orderID(),
		EventTimestamp: eventTime(c, now).UTC().Format(time.RFC3339),
	}
	if ev.TransactionID == "" {
		return dmRequest{}, errors.New("no transaction id: Data Manager could neither deduplicate nor adjust this conversion")
	}
	u := c.User
	ids := &dmAdIdentifiers{}
	// One click identifier, gclid the most precise (the same rule as the
	// Google Ads API path).
	switch {
	case trimmed(u.GCLID) != "":
		ids.Gclid = trimmed(u.GCLID)
	case trimmed(u.GBRAID) != "":
		ids.Gbraid = trimmed(u.GBRAID)
	case trimmed(u.WBRAID) != "":
		ids.Wbraid = trimmed(u.WBRAID)
	}
	if *ids != (dmAdIdentifiers{}) {
		ev.AdIdentifiers = ids
	}
	// As with the Google Ads API, no user data next to gbraid or wbraid
	// (iOS app clicks, where it may not be joined to the click).
	if ids.Gbraid == "" && ids.Wbraid == "" {
		ev.UserData = dataManagerUser(u)
	}
	if ev.AdIdentifiers == nil && ev.UserData == nil {
		return dmRequest{}, errNoGoogleIdentifier
	}
	ev.ConversionValue, ev.Currency = valueFields(c)
	switch c.Kind {
	case KindRestatement, KindRetraction:
		at := c.ChangedAt
		if at.IsZero() || at.After(now) {
			at = now
		}
		ev.LastUpdatedTimestamp = at.UTC().Format(time.RFC3339)
		if c.Kind == KindRetraction {
			// No retraction in Data Manager: restate the value to zero
			// (see the top of this file).
			ev.ConversionValue = "0"
		}
		if ev.ConversionValue == "" {
			return dmRequest{}, errors.New("restatement without a value")
		}
	}
	ev.Consent = dataManagerConsent(c.Consent)
	body := dmRequest{Destinations: []dmDestination{dest}, Events: []dmEvent{ev}, ValidateOnly: c.Test}
	if ev.UserData != nil {
		body.Encoding = "HEX"
	}
	return body, nil
}

// dataManagerUser hashes what Google matches on, normalised as its formatting
// guide asks; nil when there is nothing.
func dataManagerUser(u UserData) *dmUserData {
	var out []dmUserIdentifier
	if h := hashTrait(u.Email, normalizeDataManagerEmail); h != "" {
		out = append(out, dmUserIdentifier{EmailAddress: h})
	}
	if h := hashTrait(u.Phone, func(s string) string { return normalizePhoneE164(s, u.Country, u.DefaultRegion) }); h != "" {
		out = append(out, dmUserIdentifier{PhoneNumber: h})
	}
	given, family := hashTrait(u.FirstName, normalizeName), hashTrait(u.LastName, normalizeName)
	region := strings.ToUpper(normalizeCountry(u.Country))
	postal := strings.TrimSpace(u.Zip)
	if given != "" && family != "" && region != "" && postal != "" && !looksHashed(postal) {
		out = append(out, dmUserIdentifier{Address: &dmAddress{
			GivenName: given, FamilyName: family, RegionCode: region, PostalCode: postal,
		}})
	}
	if len(out) == 0 {
		return nil
	}
	if len(out) > dmMaxIdentifiers {
		out = out[:dmMaxIdentifiers]
	}
	return &dmUserData{UserIdentifiers: out}
}

// normalizeDataManagerEmail is Google's rule for Data Manager: lower-case, and
// for gmail.com and googlemail.com no dots in the local part and nothing from
// a "+" on.
func normalizeDataManagerEmail(s string) string {
	e := normalizeGoogleEmail(s)
	local, domain, ok := strings.Cut(e, "@")
	if !ok || (domain != "gmail.com" && domain != "googlemail.com") {
		return e
	}
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	if local == "" {
		return ""
	}
	return local + "@" + domain
}

// dataManagerConsent maps the conversion's consent; nil when it has none.
func dataManagerConsent(c Consent) *dmConsent {
	if c.IsZero() {
		return nil
	}
	status := func(s ConsentStatus) string {
		switch s {
		case ConsentGranted:
			return "CONSENT_GRANTED"
		case ConsentDenied:
			return "CONSENT_DENIED"
		}
		return ""
	}
	return &dmConsent{AdUserData: status(c.AdUserData), AdPersonalization: status(c.AdPersonalization)}
}

// dmAnswer is the Data Manager answer: {"requestId": ...} on success, the
// google.rpc.Status envelope on failure.
type dmAnswer struct {
	RequestID string    `json:"requestId"`
	Error     *dmStatus `json:"error"`
}

type dmStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []struct {
		Type            string `json:"@type"`
		Reason          string `json:"reason"` // ErrorInfo
		FieldViolations []struct {
			Field       string `json:"field"`
			Description string `json:"description"`
			Reason      string `json:"reason"`
		} `json:"fieldViolations"` // BadRequest
	} `json:"details"`
}

// text is "STATUS: message" with the first field violation and the
// ErrorInfo reason, which say what to fix.
func (s dmStatus) text() string {
	text := s.Message
	if s.Status != "" {
		text = s.Status + ": " + text
	}
	var reason string
	for _, d := range s.Details {
		for _, v := range d.FieldViolations {
			if v.Field != "" || v.Description != "" {
				text += " (" + strings.TrimSpace(v.Field+": "+v.Description) + ")"
				break
			}
		}
		if reason == "" && d.Reason != "" {
			reason = d.Reason
		}
	}
	if reason != "" {
		text += " [" + reason + "]"
	}
	return text
}

// dataManagerOutcome classifies an answer into the package's kinds by the
// HTTP status, as for the other platforms: throttling (429
// RESOURCE_EXHAUSTED), server errors (5xx UNAVAILABLE, INTERNAL,
// DEADLINE_EXCEEDED) and 409 ABORTED are retryable, Retry-After honoured; a refused token (401) is dropped so Deliver refreshes and tries
// once more, then permanent; a refused permission (403) and an invalid
// request (400 INVALID_ARGUMENT: Data Manager fails the whole request fast)
// are permanent, since the same request would fail again.
func dataManagerOutcome(res *http.Response, body []byte, now time.Time) *DeliveryError {
	var a dmAnswer
	if de, ok := readGoogleAnswer(res, body, now, &a); !ok {
		return de
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return nil
	}
	if a.Error == nil {
		return httpFailure("google_ads", res, nonJSONText(res, body), now)
	}
	de := httpFailure("google_ads", res, "data manager: "+a.Error.text(), now)
	if a.Error.Status == "ABORTED" {
		// A concurrency conflict (409): the same request can pass later.
		de.Retryable = true
	}
	return de
}
