package destinations

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Google Ads API: POST {endpoint}/{version}/customers/{customer_id}:uploadClickConversions
// for a conversion, :uploadConversionAdjustments for a restatement (new value)
// or retraction (rejected), both keyed by the conversion's order id.

type googleAdsBody struct {
	Conversions []googleAdsConversion `json:"conversions"`
	// PartialFailure is mandatory for this method: rows that fail are
	// reported in partialFailureError of a 200 answer.
	PartialFailure bool `json:"partialFailure"`
	ValidateOnly   bool `json:"validateOnly,omitempty"`
}

type googleAdsConversion struct {
	Gclid              string                `json:"gclid,omitempty"`
	Gbraid             string                `json:"gbraid,omitempty"`
	Wbraid             string                `json:"wbraid,omitempty"`
	ConversionAction   string                `json:"conversionAction"`
	ConversionDateTime string                `json:"conversionDateTime"`
	ConversionValue    json.Number           `json:"conversionValue,omitempty"`
	CurrencyCode       string                `json:"currencyCode,omitempty"`
	OrderID            string                `json:"orderId,omitempty"`
	UserIdentifiers    []googleAdsIdentifier `json:"userIdentifiers,omitempty"`
	Consent            *googleAdsConsent     `json:"consent,omitempty"`
}

// googleAdsConsent is ClickConversion.consent (ConsentStatus GRANTED or
// DENIED), left out without a signal.
type googleAdsConsent struct {
	AdUserData        string `json:"adUserData,omitempty"`
	AdPersonalization string `json:"adPersonalization,omitempty"`
}

// googleAdsIdentifier is a oneof: exactly one field per entry.
type googleAdsIdentifier struct {
	HashedEmail       string `json:"hashedEmail,omitempty"`
	HashedPhoneNumber string `json:"hashedPhoneNumber,omitempty"`
}

type googleAdsAdjustmentBody struct {
	ConversionAdjustments []googleAdsAdjustment `json:"conversionAdjustments"`
	PartialFailure        bool                  `json:"partialFailure"`
	ValidateOnly          bool                  `json:"validateOnly,omitempty"`
}

type googleAdsAdjustment struct {
	ConversionAction   string                `json:"conversionAction"`
	AdjustmentType     string                `json:"adjustmentType"` // RESTATEMENT | RETRACTION
	AdjustmentDateTime string                `json:"adjustmentDateTime"`
	OrderID            string                `json:"orderId"`
	RestatementValue   *googleAdsRestatement `json:"restatementValue,omitempty"`
}

type googleAdsRestatement struct {
	AdjustedValue json.Number `json:"adjustedValue"`
	CurrencyCode  string      `json:"currencyCode,omitempty"`
}

// googleAdsTimeLayout is Google's "yyyy-mm-dd hh:mm:ss+|-hh:mm".
const googleAdsTimeLayout = "2006-01-02 15:04:05-07:00"

var errNoGoogleIdentifier = errors.New("no gclid, gbraid or wbraid and no email or phone: " +
	"Google Ads has nothing to attribute this conversion to")

func googleAdsRequest(ctx context.Context, d Destination, c Conversion, now time.Time) (*http.Request, error) {
	if googleAPI(d) == GoogleAPIDataManager {
		return dataManagerRequest(ctx, d, c, now)
	}
	var body any
	method := "uploadClickConversions"
	switch c.Kind {
	case KindRestatement, KindRetraction:
		adj, err := googleAdsAdjustmentPayload(d, c, now)
		if err != nil {
			return nil, err
		}
		body, method = adj, "uploadConversionAdjustments"
	default:
		conv, err := googleAdsPayload(d, c, now)
		if err != nil {
			return nil, err
		}
		body = conv
	}
	req, err := googleRequest(ctx, d, DefaultGoogleAdsEndpoint, DefaultGoogleAdsVersion,
		"/customers/"+digitsOnly(d.cfg("customer_id"))+":"+method, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("developer-token", d.cfg("developer_token"))
	if id := digitsOnly(d.cfg("login_customer_id")); id != "" {
		req.Header.Set("login-customer-id", id)
	}
	return req, nil
}

func googleAdsPayload(d Destination, c Conversion, now time.Time) (googleAdsBody, error) {
	u := c.User
	gc := googleAdsConversion{
		ConversionAction:   googleAdsActionName(d, c.EventName),
		ConversionDateTime: eventTime(c, now).UTC().Format(googleAdsTimeLayout),
		OrderID:            c.orderID(),
	}
	// Exactly one click identifier may be set; gclid is the most precise.
	switch {
	case trimmed(u.GCLID) != "":
		gc.Gclid = trimmed(u.GCLID)
	case trimmed(u.GBRAID) != "":
		gc.Gbraid = trimmed(u.GBRAID)
	case trimmed(u.WBRAID) != "":
		gc.Wbraid = trimmed(u.WBRAID)
	}
	// Google refuses user identifiers next to gbraid or wbraid (iOS app
	// campaign clicks, where user data may not be joined to the click).
	if gc.Gbraid == "" && gc.Wbraid == "" {
		if h := hashTrait(u.Email, normalizeGoogleEmail); h != "" {
			gc.UserIdentifiers = append(gc.UserIdentifiers, googleAdsIdentifier{HashedEmail: h})
		}
		if h := hashTrait(u.Phone, func(s string) string { return normalizePhoneE164(s, u.Country, u.DefaultRegion) }); h != "" {
			gc.UserIdentifiers = append(gc.UserIdentifiers, googleAdsIdentifier{HashedPhoneNumber: h})
		}
	}
	if gc.Gclid == "" && gc.Gbraid == "" && gc.Wbraid == "" && len(gc.UserIdentifiers) == 0 {
		return googleAdsBody{}, errNoGoogleIdentifier
	}
	gc.ConversionValue, gc.CurrencyCode = valueFields(c)
	if g := ga4ConsentOf(c.Consent); g != nil {
		// Same words as GA4's: GRANTED / DENIED.
		gc.Consent = &googleAdsConsent{AdUserData: g.AdUserData, AdPersonalization: g.AdPersonalization}
	}
	return googleAdsBody{Conversions: []googleAdsConversion{gc}, PartialFailure: true, ValidateOnly: c.Test}, nil
}

// googleAdsAdjustmentPayload builds a restatement (the conversion's value is
// now c.Value) or a retraction (the conversion no longer counts). Both find
// the uploaded conversion by its order id.
func googleAdsAdjustmentPayload(d Destination, c Conversion, now time.Time) (googleAdsAdjustmentBody, error) {
	at := c.ChangedAt
	if at.IsZero() || at.After(now) {
		at = now
	}
	adj := googleAdsAdjustment{
		ConversionAction:   googleAdsActionName(d, c.EventName),
		AdjustmentDateTime: at.UTC().Format(googleAdsTimeLayout),
		OrderID:            c.orderID(),
	}
	if adj.OrderID == "" {
		return googleAdsAdjustmentBody{}, errors.New("adjustment without an order id: Google Ads cannot find the conversion")
	}
	switch c.Kind {
	case KindRestatement:
		adj.AdjustmentType = "RESTATEMENT"
		value, currency := valueFields(c)
		if value == "" {
			return googleAdsAdjustmentBody{}, errors.New("restatement without a value")
		}
		adj.RestatementValue = &googleAdsRestatement{AdjustedValue: value, CurrencyCode: currency}
	case KindRetraction:
		adj.AdjustmentType = "RETRACTION"
	}
	return googleAdsAdjustmentBody{ConversionAdjustments: []googleAdsAdjustment{adj}, PartialFailure: true, ValidateOnly: c.Test}, nil
}

// googleAdsActionName is the resource name of the event's conversion action
// (conversion_actions, else conversion_action), given as one or as the bare
// numeric id.
func googleAdsActionName(d Destination, eventName string) string {
	a := googleConversionAction(d, eventName)
	if strings.Contains(a, "/") {
		return a
	}
	return "customers/" + digitsOnly(d.cfg("customer_id")) + "/conversionActions/" + a
}

// googleStatus is google.rpc.Status as REST renders it, used both for the
// error envelope and for partialFailureError.
type googleStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []struct {
		Errors []struct {
			ErrorCode map[string]string `json:"errorCode"`
			Message   string            `json:"message"`
		} `json:"errors"`
	} `json:"details"`
}

// text prefers the specific GoogleAdsFailure message over the generic
// "Request contains an invalid argument." when both exist.
func (s googleStatus) text() string {
	for _, d := range s.Details {
		for _, e := range d.Errors {
			if e.Message != "" && e.Message != s.Message {
				if s.Message == "" {
					return e.Message
				}
				return s.Message + " " + e.Message
			}
		}
	}
	return s.Message
}

// codes lists the error enum values ("CONVERSION_NOT_FOUND") in s.
func (s googleStatus) codes() map[string]bool {
	out := map[string]bool{}
	for _, d := range s.Details {
		for _, e := range d.Errors {
			for _, v := range e.ErrorCode {
				out[v] = true
			}
		}
	}
	return out
}

// Adjustment answers that mean "already done": a retried restatement or
// retraction whose first attempt was applied.
var googleAdjustmentDone = []string{"CONVERSION_ALREADY_RETRACTED", "RESTATEMENT_ALREADY_EXISTS"}

// Adjustment answers that a later attempt can fix: Google adjusts only
// conversions at least 24 hours old and uploaded ones once processed, and
// takes uploads for a new conversion action after 6 hours.
var googleAdjustmentLater = []string{"TOO_RECENT_CONVERSION", "CONVERSION_NOT_FOUND", "TOO_RECENT_CONVERSION_ACTION"}

// googleAdjustmentWait is how long to wait after a "too recent" answer.
const googleAdjustmentWait = time.Hour

type googleAdsAnswer struct {
	Error               *googleStatus `json:"error"`
	PartialFailureError *googleStatus `json:"partialFailureError"`
}

// googleOutcomeFor reads answers of the API d sends through.
func googleOutcomeFor(d Destination) outcomeFunc {
	if googleAPI(d) == GoogleAPIDataManager {
		return dataManagerOutcome
	}
	return googleAdsOutcome
}

// readGoogleAnswer is what reading an answer of either Google API starts
// with: the body into a; a refused token (401: expired early, revoked) is
// dropped so the next request refreshes (Sender.Deliver retries once). When
// ok is false the body was not the API's JSON and de is the outcome: after a
// 2xx it is retryable, since a proxy page confirms nothing and the request's
// own id (order_id, the transaction id) makes a repeat safe.
func readGoogleAnswer(res *http.Response, body []byte, now time.Time, a any) (de *DeliveryError, ok bool) {
	parsed := json.Unmarshal(body, a) == nil
	if res.StatusCode == http.StatusUnauthorized && res.Request != nil {
		googleTokens.invalidate(strings.TrimPrefix(res.Request.Header.Get("Authorization"), "Bearer "))
	}
	if parsed {
		return nil, true
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		de := httpFailure("google_ads", res, "unexpected answer: "+nonJSONText(res, body), now)
		de.Retryable = true
		return de, false
	}
	return httpFailure("google_ads", res, nonJSONText(res, body), now), false
}

func googleAdsOutcome(res *http.Response, body []byte, now time.Time) *DeliveryError {
	var a googleAdsAnswer
	if de, ok := readGoogleAnswer(res, body, now, &a); !ok {
		return de
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if pf := a.PartialFailureError; pf != nil && (pf.Code != 0 || pf.text() != "") {
			codes := pf.codes()
			for _, c := range googleAdjustmentDone {
				if codes[c] {
					return nil
				}
			}
			// The row was rejected (unknown gclid, too old, duplicate...):
			// the same row would be rejected again, unless Google only
			// asks for time.
			de := httpFailure("google_ads", res, "partial failure: "+pf.text(), now)
			for _, c := range googleAdjustmentLater {
				if codes[c] {
					de.Retryable, de.RetryAfter = true, googleAdjustmentWait
				}
			}
			return de
		}
		return nil
	}
	if a.Error == nil {
		return httpFailure("google_ads", res, nonJSONText(res, body), now)
	}
	text := a.Error.text()
	if a.Error.Status != "" {
		text = a.Error.Status + ": " + text
	}
	return httpFailure("google_ads", res, text, now)
}
