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
	ClientID        string     `json:"client_id"`
	TimestampMicros int64      `json:"timestamp_micros,omitempty"`
	Events          []ga4Event `json:"events"`
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
