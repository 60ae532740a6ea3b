package destinations

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// TikTok Events API 2.0: POST {endpoint}/open_api/v1.3/event/track/ with the
// Access-Token header.

type tiktokBody struct {
	EventSource   string        `json:"event_source"`
	EventSourceID string        `json:"event_source_id"`
	TestEventCode string        `json:"test_event_code,omitempty"`
	Data          []tiktokEvent `json:"data"`
}

type tiktokEvent struct {
	Event     string `json:"event"`
	EventTime int64  `json:"event_time"`
	EventID   string `json:"event_id,omitempty"`
	// LimitedDataUse is true when the user denied the use of their data
	// for ads, false when they granted it, absent without a signal.
	LimitedDataUse *bool            `json:"limited_data_use,omitempty"`
	User           tiktokUser       `json:"user"`
	Properties     tiktokProperties `json:"properties"`
	Page           *tiktokPage      `json:"page,omitempty"`
}

// tiktokUser: email, phone, external_id and the name and address fields are
// SHA-256 digests; ttclid, ttp, ip and user_agent are sent as they are.
type tiktokUser struct {
	TTCLID     string `json:"ttclid,omitempty"`
	TTP        string `json:"ttp,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	FirstName  string `json:"first_name,omitempty"`
	LastName   string `json:"last_name,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	Country    string `json:"country,omitempty"`
	ZipCode    string `json:"zip_code,omitempty"`
	IP         string `json:"ip,omitempty"`
	UserAgent  string `json:"user_agent,omitempty"`
}

type tiktokProperties struct {
	Value       json.Number     `json:"value,omitempty"`
	Currency    string          `json:"currency,omitempty"`
	ContentType string          `json:"content_type,omitempty"`
	Contents    []tiktokContent `json:"contents,omitempty"`
	OrderID     string          `json:"order_id,omitempty"`
}

type tiktokContent struct {
	ContentID   string      `json:"content_id"`
	ContentName string      `json:"content_name,omitempty"`
	Price       json.Number `json:"price,omitempty"`
	Quantity    json.Number `json:"quantity,omitempty"`
}

type tiktokPage struct {
	URL string `json:"url"`
}

func tiktokRequest(ctx context.Context, d Destination, c Conversion, now time.Time) (*http.Request, error) {
	req, err := jsonRequest(ctx, d.base(DefaultTikTokEndpoint)+"/open_api/v1.3/event/track/", tiktokPayload(d, c, now))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Access-Token", d.cfg("access_token"))
	return req, nil
}

func tiktokPayload(d Destination, c Conversion, now time.Time) tiktokBody {
	u := c.User
	withCountry := func(f func(string, string) string) func(string) string {
		return func(s string) string { return f(s, u.Country) }
	}
	ev := tiktokEvent{
		Event:     tiktokEventName(c.EventName),
		EventTime: eventTime(c, now).Unix(),
		EventID:   pixelEventID(d, c),
		User: tiktokUser{
			TTCLID: trimmed(u.TTCLID),
			TTP:    trimmed(u.TTP),
			Email:  hashTrait(u.Email, normalizeEmail),
			Phone: hashTrait(u.Phone, func(s string) string {
				return normalizePhoneE164(s, u.Country, u.DefaultRegion)
			}),
			ExternalID: hashTrait(u.ExternalID, normalizeExternalID),
			FirstName:  hashTrait(u.FirstName, normalizeName),
			LastName:   hashTrait(u.LastName, normalizeName),
			City:       hashTrait(u.City, normalizeCity),
			State:      hashTrait(u.State, withCountry(normalizeState)),
			Country:    hashTrait(u.Country, normalizeCountry),
			ZipCode:    hashTrait(u.Zip, withCountry(normalizeZip)),
			IP:         trimmed(u.IP),
			UserAgent:  trimmed(u.UserAgent),
		},
		Properties: tiktokProperties{OrderID: c.TransactionID},
	}
	switch c.Consent.AdUserData {
	case ConsentDenied:
		ev.LimitedDataUse = new(bool)
		*ev.LimitedDataUse = true
	case ConsentGranted:
		ev.LimitedDataUse = new(bool)
	}
	ev.Properties.Value, ev.Properties.Currency = valueFields(c)
	for _, it := range c.Items {
		tc := tiktokContent{ContentID: it.ID, ContentName: it.Name, Quantity: quantity(it.Quantity)}
		if !it.Price.IsZero() {
			tc.Price = num(it.Price)
		}
		ev.Properties.Contents = append(ev.Properties.Contents, tc)
	}
	if len(ev.Properties.Contents) > 0 {
		ev.Properties.ContentType = "product"
	}
	if c.SourceURL != "" {
		ev.Page = &tiktokPage{URL: c.SourceURL}
	}
	return tiktokBody{
		EventSource:   "web",
		EventSourceID: d.cfg("pixel_code"),
		TestEventCode: d.cfg("test_event_code"),
		Data:          []tiktokEvent{ev},
	}
}

// tiktokAnswer is the Business API envelope; it answers HTTP 200 even for
// rejected requests, with the verdict in code (0 = OK).
type tiktokAnswer struct {
	Code      *int   `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

// tiktokRateLimited is the Business API's "requests made too frequently".
const tiktokRateLimited = 40100

// tiktokRetryableCode: rate limiting and TikTok's own 5xxxx system errors
// may pass; every other non-zero code (bad token, bad parameter, no
// permission) will not.
func tiktokRetryableCode(code int) bool {
	return code == tiktokRateLimited || (code >= 50000 && code < 60000)
}

func tiktokOutcome(res *http.Response, body []byte, now time.Time) *DeliveryError {
	var a tiktokAnswer
	parsed := json.Unmarshal(body, &a) == nil && a.Code != nil
	ok := res.StatusCode >= 200 && res.StatusCode < 300
	switch {
	case ok && parsed && *a.Code == 0:
		return nil
	case !parsed && ok:
		// A 2xx that is not TikTok's envelope (a proxy page) confirms
		// nothing; retrying is safe because event_id deduplicates.
		de := httpFailure("tiktok", res, "unexpected answer: "+nonJSONText(res, body), now)
		de.Retryable = true
		return de
	case !parsed:
		return httpFailure("tiktok", res, nonJSONText(res, body), now)
	}
	de := httpFailure("tiktok", res, fmt.Sprintf("%s (code %d)", a.Message, *a.Code), now)
	if ok {
		de.Retryable = tiktokRetryableCode(*a.Code)
	} else {
		de.Retryable = de.Retryable || tiktokRetryableCode(*a.Code)
	}
	return de
}
