package destinations

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/shopspring/decimal"
)

// num writes money and quantities as JSON numbers with the exact decimal
// digits: platforms want numbers, and a float round-trip could alter cents.
func num(d decimal.Decimal) json.Number { return json.Number(d.String()) }

// valueFields reports what to send as value/currency: both when either is
// known, since platforms that take a value want its currency with it. It is
// what ad platforms get (Meta, TikTok, GA4, Google): none of them takes a
// negative conversion value, so a negative one (a revenue-share network's
// chargeback or player loss) is sent as 0; traffic-source postbacks and
// webhooks get the value as recorded, sign included.
func valueFields(c Conversion) (json.Number, string) {
	if c.Value.IsZero() && c.Currency == "" {
		return "", ""
	}
	v := c.Value
	if v.IsNegative() {
		v = decimal.Zero
	}
	return num(v), upperASCII(c.Currency)
}

// quantity defaults a missing quantity to one item.
func quantity(q decimal.Decimal) json.Number {
	if q.IsZero() {
		return "1"
	}
	return num(q)
}

// jsonRequest encodes v and builds a POST with the JSON content type.
func jsonRequest(ctx context.Context, url string, v any) (*http.Request, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(bytes.TrimSpace(b))
}

// eventTime is the time reported to platforms: the conversion's own time, or
// now when unknown. A time in the future (a network's skewed clock) is pulled
// back to now, since platforms reject future events.
func eventTime(c Conversion, now time.Time) time.Time {
	t := c.EventTime
	if t.IsZero() || t.After(now) {
		return now
	}
	return t
}
