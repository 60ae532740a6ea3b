package destinations

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Meta Conversions API: POST {endpoint}/{version}/{pixel_id}/events.

// metaMaxAge: the Conversions API refuses events older than 7 days, so such a
// delivery fails at once instead of burning retries.
const metaMaxAge = 7 * 24 * time.Hour

// metaActionSources are the values Meta accepts for action_source.
var metaActionSources = map[string]bool{
	"email": true, "website": true, "app": true, "phone_call": true, "chat": true,
	"physical_store": true, "system_generated": true, "business_messaging": true, "other": true,
}

type metaBody struct {
	Data          []metaEvent `json:"data"`
	TestEventCode string      `json:"test_event_code,omitempty"`
}

type metaEvent struct {
	EventName      string          `json:"event_name"`
	EventTime      int64           `json:"event_time"`
	EventID        string          `json:"event_id,omitempty"`
	ActionSource   string          `json:"action_source"`
	EventSourceURL string          `json:"event_source_url,omitempty"`
	UserData       metaUserData    `json:"user_data"`
	CustomData     *metaCustomData `json:"custom_data,omitempty"`
	// Limited Data Use: ["LDU"] with country and state 0 (Meta geolocates
	// the event) when the user denied the use of their data for ads; an
	// empty array (LDU explicitly off) when they granted it; absent
	// without a signal.
	DataProcessingOptions        *[]string `json:"data_processing_options,omitempty"`
	DataProcessingOptionsCountry *int      `json:"data_processing_options_country,omitempty"`
	DataProcessingOptionsState   *int      `json:"data_processing_options_state,omitempty"`
}

// metaUserData: contact fields are arrays of SHA-256 digests; the browser
// and click identifiers are sent as they are.
type metaUserData struct {
	Em         []string `json:"em,omitempty"`
	Ph         []string `json:"ph,omitempty"`
	Fn         []string `json:"fn,omitempty"`
	Ln         []string `json:"ln,omitempty"`
	Db         []string `json:"db,omitempty"`
	Ct         []string `json:"ct,omitempty"`
	St         []string `json:"st,omitempty"`
	Zp         []string `json:"zp,omitempty"`
	Country    []string `json:"country,omitempty"`
	ExternalID []string `json:"external_id,omitempty"`
	ClientIP   string   `json:"client_ip_address,omitempty"`
	ClientUA   string   `json:"client_user_agent,omitempty"`
	FBC        string   `json:"fbc,omitempty"`
	FBP        string   `json:"fbp,omitempty"`
}

type metaCustomData struct {
	Value       json.Number   `json:"value,omitempty"`
	Currency    string        `json:"currency,omitempty"`
	Contents    []metaContent `json:"contents,omitempty"`
	ContentType string        `json:"content_type,omitempty"`
	OrderID     string        `json:"order_id,omitempty"`
}

type metaContent struct {
	ID        string      `json:"id"`
	Quantity  json.Number `json:"quantity"`
	ItemPrice json.Number `json:"item_price,omitempty"`
}

func metaRequest(ctx context.Context, d Destination, c Conversion, now time.Time) (*http.Request, error) {
	t := eventTime(c, now)
	if now.Sub(t) > metaMaxAge {
		return nil, fmt.Errorf("event time %s is more than 7 days old; the Conversions API rejects such events",
			t.UTC().Format(time.RFC3339))
	}
	version := d.cfg("api_version")
	if version == "" {
		version = DefaultMetaAPIVersion
	}
	q := url.Values{"access_token": {d.cfg("access_token")}}
	u := d.base(DefaultMetaEndpoint) + "/" + url.PathEscape(version) + "/" +
		url.PathEscape(d.cfg("pixel_id")) + "/events?" + q.Encode()
	return jsonRequest(ctx, u, metaPayload(d, c, t))
}

func metaPayload(d Destination, c Conversion, t time.Time) metaBody {
	// Meta requires the browser's user agent and the page URL for "website"
	// events; a server-side postback without them is "system_generated".
	source := d.cfg("action_source")
	if source == "" {
		source = "website"
		if c.User.UserAgent == "" || c.SourceURL == "" {
			source = "system_generated"
		}
	}
	ev := metaEvent{
		EventName:      metaEventName(c.EventName),
		EventTime:      t.Unix(),
		EventID:        pixelEventID(d, c),
		ActionSource:   source,
		EventSourceURL: c.SourceURL,
		UserData:       metaUser(c.User),
	}
	switch c.Consent.AdUserData {
	case ConsentDenied:
		ldu, geo := []string{"LDU"}, 0
		ev.DataProcessingOptions = &ldu
		ev.DataProcessingOptionsCountry, ev.DataProcessingOptionsState = &geo, &geo
	case ConsentGranted:
		ev.DataProcessingOptions = &[]string{}
	}
	cd := &metaCustomData{OrderID: c.TransactionID}
	cd.Value, cd.Currency = valueFields(c)
	for _, it := range c.Items {
		mc := metaContent{ID: it.ID, Quantity: quantity(it.Quantity)}
		if !it.Price.IsZero() {
			mc.ItemPrice = num(it.Price)
		}
		cd.Contents = append(cd.Contents, mc)
	}
	if len(cd.Contents) > 0 {
		cd.ContentType = "product"
	}
	if cd.Value != "" || cd.Currency != "" || cd.OrderID != "" || len(cd.Contents) > 0 {
		ev.CustomData = cd
	}
	return metaBody{Data: []metaEvent{ev}, TestEventCode: d.cfg("test_event_code")}
}

func metaUser(u UserData) metaUserData {
	one := func(h string) []string {
		if h == "" {
			return nil
		}
		return []string{h}
	}
	withCountry := func(f func(string, string) string) func(string) string {
		return func(s string) string { return f(s, u.Country) }
	}
	return metaUserData{
		Em:         one(hashTrait(u.Email, normalizeEmail)),
		Ph:         one(hashTrait(u.Phone, func(s string) string { return normalizePhoneMeta(s, u.Country, u.DefaultRegion) })),
		Fn:         one(hashTrait(u.FirstName, normalizeName)),
		Ln:         one(hashTrait(u.LastName, normalizeName)),
		Db:         one(hashTrait(u.Birthdate, normalizeBirthdate)),
		Ct:         one(hashTrait(u.City, normalizeCity)),
		St:         one(hashTrait(u.State, withCountry(normalizeState))),
		Zp:         one(hashTrait(u.Zip, withCountry(normalizeZip))),
		Country:    one(hashTrait(u.Country, normalizeCountry)),
		ExternalID: one(hashTrait(u.ExternalID, normalizeExternalID)),
		ClientIP:   trimmed(u.IP),
		ClientUA:   trimmed(u.UserAgent),
		FBC:        trimmed(u.FBC),
		FBP:        trimmed(u.FBP),
	}
}

// metaError is the Graph API error envelope.
type metaError struct {
	Error *struct {
		Message     string `json:"message"`
		Type        string `json:"type"`
		Code        int    `json:"code"`
		Subcode     int    `json:"error_subcode"`
		UserTitle   string `json:"error_user_title"`
		UserMsg     string `json:"error_user_msg"`
		IsTransient bool   `json:"is_transient"`
		FBTraceID   string `json:"fbtrace_id"`
	} `json:"error"`
}

// metaThrottleCodes are Graph API codes for temporary trouble and rate
// limits (1 unknown, 2 service unavailable, 4/17/32/613 throttling), which
// Meta says to retry later whatever the HTTP status.
var metaThrottleCodes = map[int]bool{1: true, 2: true, 4: true, 17: true, 32: true, 341: true, 613: true}

func metaOutcome(res *http.Response, body []byte, now time.Time) *DeliveryError {
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return nil
	}
	var env metaError
	if json.Unmarshal(body, &env) != nil || env.Error == nil {
		return httpFailure("meta", res, nonJSONText(res, body), now)
	}
	e := env.Error
	text := e.Message
	if e.UserMsg != "" && e.UserMsg != e.Message {
		text += ": " + e.UserMsg
	}
	text = fmt.Sprintf("%s (code %d", text, e.Code)
	if e.Subcode != 0 {
		text += fmt.Sprintf(", subcode %d", e.Subcode)
	}
	text += ")"
	de := httpFailure("meta", res, text, now)
	switch {
	case e.Code == 190 || res.StatusCode == http.StatusUnauthorized:
		// Bad or expired token: only a human can fix it.
		de.Retryable = false
	case metaThrottleCodes[e.Code] || e.IsTransient:
		de.Retryable = true
	case res.StatusCode == http.StatusForbidden:
		de.Retryable = false
	}
	return de
}
