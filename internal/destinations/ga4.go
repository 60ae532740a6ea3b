package destinations

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// GA4 Measurement Protocol: POST {endpoint}/mp/collect?measurement_id=&api_secret=.

// ga4MaxBackdate: GA4 accepts timestamp_micros up to 72 hours in the past;
// older conversions are sent without it (recorded at receipt) rather than
// silently dropped.
const ga4MaxBackdate = 72 * time.Hour

type ga4Body struct {
	ClientID        string       `json:"client_id"`
	TimestampMicros int64        `json:"timestamp_micros,omitempty"`
	UserData        *ga4UserData `json:"user_data,omitempty"`
	Consent         *ga4Consent  `json:"consent,omitempty"`
	Events          []ga4Event   `json:"events"`
}

// ga4UserData is the Measurement Protocol's user-provided data: email,
// phone and names as SHA-256 digests, the rest of the address plain.
type ga4UserData struct {
	Email   []string     `json:"sha256_email_address,omitempty"`
	Phone   []string     `json:"sha256_phone_number,omitempty"`
	Address []ga4Address `json:"address,omitempty"`
}

type ga4Address struct {
	FirstName  string `json:"sha256_first_name,omitempty"`
	LastName   string `json:"sha256_last_name,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"`
}

// ga4Consent: GRANTED or DENIED per signal, absent when unknown.
type ga4Consent struct {
	AdUserData        string `json:"ad_user_data,omitempty"`
	AdPersonalization string `json:"ad_personalization,omitempty"`
}

type ga4Event struct {
	Name   string    `json:"name"`
	Params ga4Params `json:"params"`
}

type ga4Params struct {
	TransactionID string      `json:"transaction_id,omitempty"`
	Value         json.Number `json:"value,omitempty"`
	Currency      string      `json:"currency,omitempty"`
	Items         []ga4Item   `json:"items,omitempty"`
}

type ga4Item struct {
	ItemID      string      `json:"item_id,omitempty"`
	ItemName    string      `json:"item_name,omitempty"`
	ItemVariant string      `json:"item_variant,omitempty"`
	Price       json.Number `json:"price,omitempty"`
	Quantity    json.Number `json:"quantity,omitempty"`
}

func ga4Request(ctx context.Context, d Destination, c Conversion, now time.Time) (*http.Request, error) {
	q := url.Values{"measurement_id": {d.cfg("measurement_id")}, "api_secret": {d.cfg("api_secret")}}
	path := "/mp/collect?"
	if c.Test {
		// The validation server answers what is wrong instead of GA4's
		// silent 2xx, and records nothing.
		path = "/debug/mp/collect?"
	}
	return jsonRequest(ctx, d.base(DefaultGA4Endpoint)+path+q.Encode(), ga4Payload(c, now))
}

func ga4Payload(c Conversion, now time.Time) ga4Body {
	p := ga4Params{TransactionID: c.TransactionID}
	if p.TransactionID == "" {
		// GA4 deduplicates purchases by transaction_id; the idempotency
		// key keeps a retried delivery from counting twice.
		p.TransactionID = c.EventID
	}
	p.Value, p.Currency = valueFields(c)
	for _, it := range c.Items {
		gi := ga4Item{ItemID: it.ID, ItemName: it.Name, ItemVariant: it.Variant, Quantity: quantity(it.Quantity)}
		if !it.Price.IsZero() {
			gi.Price = num(it.Price)
		}
		p.Items = append(p.Items, gi)
	}
	b := ga4Body{
		ClientID: ga4ClientID(c),
		UserData: ga4User(c.User),
		Consent:  ga4ConsentOf(c.Consent),
		Events:   []ga4Event{{Name: ga4EventName(c.EventName), Params: p}},
	}
	if t := eventTime(c, now); now.Sub(t) <= ga4MaxBackdate {
		b.TimestampMicros = t.UnixMicro()
	}
	return b
}

// ga4ClientID uses the visitor's GA client id when the click carried one
// (the "GA1.1." prefix of a raw _ga cookie is dropped). Otherwise it derives
// a stable id in GA's "number.number" shape from the click id, so repeated
// deliveries of one click land on one pseudo-user.
// GAClientID reads a Google Analytics client id as a click or postback
// carries it: the _ga cookie ("GA1.1.1234567890.1700000000", any GAn.m
// prefix) or the bare id ("1234567890.1700000000"). It returns the bare
// id GA4's client_id takes, or "" when raw is neither.
func GAClientID(raw string) string {
	parts := strings.Split(strings.TrimSpace(raw), ".")
	if len(parts) == 4 && len(parts[0]) >= 3 && strings.EqualFold(parts[0][:2], "GA") {
		parts = parts[2:]
	}
	if len(parts) != 2 {
		return ""
	}
	for _, p := range parts {
		if p == "" || len(p) > 20 || !isDigits(p) {
			return ""
		}
	}
	return parts[0] + "." + parts[1]
}

func ga4ClientID(c Conversion) string {
	if id := trimmed(c.User.GAClientID); id != "" {
		if parts := strings.Split(id, "."); len(parts) == 4 && strings.HasPrefix(strings.ToUpper(parts[0]), "GA") {
			return parts[2] + "." + parts[3]
		}
		return id
	}
	seed := c.ClickID
	if seed == "" {
		seed = c.TransactionID
	}
	if seed == "" {
		seed = c.EventID
	}
	sum := sha256.Sum256([]byte("convrelay-ga4:" + seed))
	return fmt.Sprintf("%d.%d", binary.BigEndian.Uint32(sum[:4]), binary.BigEndian.Uint32(sum[4:8]))
}

// ga4User is the user-provided data GA4 takes, normalised as Google asks
// (Gmail dots removed, phone in E.164, names lower-case letters); nil when
// the conversion has none.
func ga4User(u UserData) *ga4UserData {
	var out ga4UserData
	if h := hashTrait(u.Email, normalizeGoogleEmail); h != "" {
		out.Email = []string{h}
	}
	if h := hashTrait(u.Phone, func(s string) string { return normalizePhoneE164(s, u.Country, u.DefaultRegion) }); h != "" {
		out.Phone = []string{h}
	}
	a := ga4Address{
		FirstName:  hashTrait(u.FirstName, normalizeName),
		LastName:   hashTrait(u.LastName, normalizeName),
		City:       normalizeCity(u.City),
		Region:     normalizeState(u.State, u.Country),
		PostalCode: normalizeZip(u.Zip, u.Country),
		Country:    strings.ToUpper(normalizeCountry(u.Country)),
	}
	if a != (ga4Address{}) {
		out.Address = []ga4Address{a}
	}
	if out.Email == nil && out.Phone == nil && out.Address == nil {
		return nil
	}
	return &out
}

// ga4ConsentOf maps the conversion's consent; nil when it has none.
func ga4ConsentOf(c Consent) *ga4Consent {
	if c.IsZero() {
		return nil
	}
	status := func(s ConsentStatus) string {
		switch s {
		case ConsentGranted:
			return "GRANTED"
		case ConsentDenied:
			return "DENIED"
		}
		return ""
	}
	return &ga4Consent{AdUserData: status(c.AdUserData), AdPersonalization: status(c.AdPersonalization)}
}
