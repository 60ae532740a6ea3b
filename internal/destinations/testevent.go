package destinations

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"maps"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// TestEvent is what the user asks to try on a destination: a sample
// conversion, with the platforms' test event codes so it shows in Meta's
// and TikTok's test tools instead of the reports.
type TestEvent struct {
	TestEventCode string // Meta and TikTok test_event_code
	EventName     string // default Purchase
	Value         decimal.Decimal
	Currency      string
	// Optional identifiers to try matching with; otherwise documentation
	// values that match nobody.
	Email, Phone, Country string
	GCLID                 string
}

// TestOutcome is the platform's answer to a test event, safe to show: the
// destination's secrets are masked in it.
type TestOutcome struct {
	Delivered  bool   `json:"delivered"`
	StatusCode int    `json:"status_code,omitempty"` // 0: no HTTP answer
	Body       string `json:"body,omitempty"`        // the platform's answer, at most 2 KiB
	Error      string `json:"error,omitempty"`       // why it was not accepted
	Retryable  bool   `json:"retryable,omitempty"`   // whether a real delivery would try again
	EventID    string `json:"event_id"`
	EventName  string `json:"event_name"`
}

// SendTest builds the real request for a sample conversion and sends it
// through Deliver, so it meets the same outbound rules, authentication and
// answer classification as a real delivery.
func (s *Sender) SendTest(ctx context.Context, d Destination, t TestEvent) TestOutcome {
	d.Config = maps.Clone(d.Config)
	if d.Config == nil {
		d.Config = map[string]string{}
	}
	if code := strings.TrimSpace(t.TestEventCode); code != "" && (d.Type == TypeMeta || d.Type == TypeTikTok) {
		d.Config["test_event_code"] = code
	}
	c := sampleTestConversion(t, s.now())
	out := TestOutcome{EventID: c.EventID, EventName: c.EventName}
	res, err := s.Deliver(ctx, d, c)
	out.StatusCode, out.Body = res.StatusCode, maskSecrets(d, res.Body)
	if err == nil {
		out.Delivered = true
		return out
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		out.Error, out.Retryable = maskSecrets(d, de.Message), de.Retryable
		if out.StatusCode == 0 {
			out.StatusCode = de.StatusCode
		}
		return out
	}
	out.Error = "delivery failed"
	return out
}

func sampleTestConversion(t TestEvent, now time.Time) Conversion {
	id := randomID()
	name := strings.TrimSpace(t.EventName)
	if name == "" {
		name = "Purchase"
	}
	value := t.Value
	if value.IsZero() {
		value = decimal.RequireFromString("1.00")
	}
	email, phone, country := t.Email, t.Phone, t.Country
	if email == "" && phone == "" {
		email = "test@example.com" // reserved domain: matches no one
	}
	if country == "" {
		country = "US"
	}
	gclid := t.GCLID
	if gclid == "" {
		gclid = "convrelay-test-" + id
	}
	return Conversion{
		EventID:       "test-" + id,
		EventName:     name,
		EventTime:     now,
		Status:        "approved",
		Kind:          KindConversion,
		Value:         value,
		Currency:      t.Currency,
		TransactionID: "TEST-" + id,
		ClickID:       "test-click-" + id,
		CampaignID:    "test",
		TrafficSource: "test",
		Test:          true,
		User: UserData{
			Email: email, Phone: phone, Country: country,
			// Documentation address (RFC 5737) and a self-describing agent:
			// Meta wants one of them for a website event.
			IP: "203.0.113.10", UserAgent: userAgent, GCLID: gclid,
		},
		Subs: map[string]string{},
	}
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// maskSecrets hides the destination's secrets in text a platform sent back
// (a receiver may echo the request, query string and all).
func maskSecrets(d Destination, s string) string {
	shown := Redact(d.Config)
	for k, v := range d.Config {
		if v = strings.TrimSpace(v); len(v) >= 4 && shown[k] != d.Config[k] {
			s = strings.ReplaceAll(s, v, shown[k])
		}
	}
	return s
}
