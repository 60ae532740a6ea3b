package destinations

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Google Ads API: POST {endpoint}/{version}/customers/{customer_id}:uploadClickConversions.

type googleAdsBody struct {
	Conversions []googleAdsConversion `json:"conversions"`
	// PartialFailure is mandatory for this method: rows that fail are
	// reported in partialFailureError of a 200 answer.
	PartialFailure bool `json:"partialFailure"`
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
}

// googleAdsIdentifier is a oneof: exactly one field per entry.
type googleAdsIdentifier struct {
	HashedEmail       string `json:"hashedEmail,omitempty"`
	HashedPhoneNumber string `json:"hashedPhoneNumber,omitempty"`
}

// googleAdsTimeLayout is Google's "yyyy-mm-dd hh:mm:ss+|-hh:mm".
const googleAdsTimeLayout = "2006-01-02 15:04:05-07:00"

var errNoGoogleIdentifier = errors.New("no gclid, gbraid or wbraid and no email or phone: " +
	"Google Ads has nothing to attribute this conversion to")

func googleAdsRequest(ctx context.Context, d Destination, c Conversion, now time.Time) (*http.Request, error) {
	conv, err := googleAdsPayload(d, c, now)
	if err != nil {
		return nil, err
	}
	version := d.cfg("api_version")
	if version == "" {
		version = DefaultGoogleAdsVersion
	}
	u := d.base(DefaultGoogleAdsEndpoint) + "/" + url.PathEscape(version) + "/customers/" +
		digitsOnly(d.cfg("customer_id")) + ":uploadClickConversions"
	req, err := jsonRequest(ctx, u, conv)
	if err != nil {
		return nil, err
	}
	req.Header.Set("developer-token", d.cfg("developer_token"))
	req.Header.Set("Authorization", "Bearer "+d.cfg("access_token"))
	if id := digitsOnly(d.cfg("login_customer_id")); id != "" {
		req.Header.Set("login-customer-id", id)
	}
	return req, nil
}

func googleAdsPayload(d Destination, c Conversion, now time.Time) (googleAdsBody, error) {
	u := c.User
	gc := googleAdsConversion{
		ConversionAction:   googleAdsActionName(d),
		ConversionDateTime: eventTime(c, now).UTC().Format(googleAdsTimeLayout),
		OrderID:            c.EventID,
	}
	// Only one click identifier may be set; gclid is the most precise.
	switch {
	case trimmed(u.GCLID) != "":
		gc.Gclid = trimmed(u.GCLID)
	case trimmed(u.GBRAID) != "":
		gc.Gbraid = trimmed(u.GBRAID)
	case trimmed(u.WBRAID) != "":
		gc.Wbraid = trimmed(u.WBRAID)
	}
	if h := hashTrait(u.Email, normalizeGoogleEmail); h != "" {
		gc.UserIdentifiers = append(gc.UserIdentifiers, googleAdsIdentifier{HashedEmail: h})
	}
	if h := hashTrait(u.Phone, func(s string) string { return normalizePhoneE164(s, u.Country, u.DefaultRegion) }); h != "" {
		gc.UserIdentifiers = append(gc.UserIdentifiers, googleAdsIdentifier{HashedPhoneNumber: h})
	}
	if gc.Gclid == "" && gc.Gbraid == "" && gc.Wbraid == "" && len(gc.UserIdentifiers) == 0 {
		return googleAdsBody{}, errNoGoogleIdentifier
	}
	gc.ConversionValue, gc.CurrencyCode = valueFields(c)
	return googleAdsBody{Conversions: []googleAdsConversion{gc}, PartialFailure: true}, nil
}

// googleAdsActionName accepts the resource name or the bare numeric id.
func googleAdsActionName(d Destination) string {
	a := d.cfg("conversion_action")
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
			Message string `json:"message"`
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

type googleAdsAnswer struct {
	Error               *googleStatus `json:"error"`
	PartialFailureError *googleStatus `json:"partialFailureError"`
}

func googleAdsOutcome(res *http.Response, body []byte, now time.Time) *DeliveryError {
	var a googleAdsAnswer
	parsed := json.Unmarshal(body, &a) == nil
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if !parsed {
			// Without the body the partial-failure verdict is unknown;
			// order_id makes a repeat safe.
			de := httpFailure("google_ads", res, "unexpected answer: "+nonJSONText(res, body), now)
			de.Retryable = true
			return de
		}
		if pf := a.PartialFailureError; pf != nil && (pf.Code != 0 || pf.text() != "") {
			// The row was rejected (unknown gclid, too old, duplicate...):
			// the same row would be rejected again.
			return httpFailure("google_ads", res, "partial failure: "+pf.text(), now)
		}
		return nil
	}
	if !parsed || a.Error == nil {
		return httpFailure("google_ads", res, nonJSONText(res, body), now)
	}
	text := a.Error.text()
	if a.Error.Status != "" {
		text = a.Error.Status + ": " + text
	}
	return httpFailure("google_ads", res, text, now)
}
