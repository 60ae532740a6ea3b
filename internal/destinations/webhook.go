package destinations

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Signed JSON webhook to the operator's own endpoint.

// Webhook headers.
const (
	WebhookSignatureHeader  = "X-Convrelay-Signature"
	WebhookDeliveryIDHeader = "X-Convrelay-Delivery-Id"
	WebhookTimestampHeader  = "X-Convrelay-Timestamp"
)

type webhookBody struct {
	ID         string            `json:"id"`
	Type       string            `json:"type"`
	OccurredAt string            `json:"occurred_at"`
	Conversion webhookConversion `json:"conversion"`
}

// webhookConversion carries no personal traits: the receiver gets ids and
// money, not e-mails or phone numbers. Value is a decimal string so money
// survives exactly.
type webhookConversion struct {
	EventName     string            `json:"event_name"`
	Status        string            `json:"status,omitempty"`
	Value         string            `json:"value"`
	Currency      string            `json:"currency,omitempty"`
	TransactionID string            `json:"transaction_id,omitempty"`
	ClickID       string            `json:"click_id,omitempty"`
	ExternalID    string            `json:"external_id,omitempty"`
	CampaignID    string            `json:"campaign_id,omitempty"`
	TrafficSource string            `json:"traffic_source,omitempty"`
	SourceURL     string            `json:"source_url,omitempty"`
	Items         []webhookItem     `json:"items,omitempty"`
	Subs          map[string]string `json:"subs,omitempty"`
	Passthrough   map[string]string `json:"passthrough,omitempty"`
}

type webhookItem struct {
	ID       string `json:"id,omitempty"`
	Name     string `json:"name,omitempty"`
	Variant  string `json:"variant,omitempty"`
	Price    string `json:"price"`
	Quantity string `json:"quantity"`
}

func webhookPayload(c Conversion, now time.Time) webhookBody {
	kind := KindConversion
	if c.Kind == KindReversal {
		kind = KindReversal
	}
	wc := webhookConversion{
		EventName:     c.EventName,
		Status:        c.Status,
		Value:         c.Value.String(),
		Currency:      upperASCII(c.Currency),
		TransactionID: c.TransactionID,
		ClickID:       c.ClickID,
		ExternalID:    c.ExternalID,
		CampaignID:    c.CampaignID,
		TrafficSource: c.TrafficSource,
		SourceURL:     c.SourceURL,
		Subs:          c.Subs,
		Passthrough:   c.Passthrough,
	}
	for _, it := range c.Items {
		wc.Items = append(wc.Items, webhookItem{
			ID: it.ID, Name: it.Name, Variant: it.Variant,
			Price: it.Price.String(), Quantity: it.Quantity.String(),
		})
	}
	return webhookBody{
		ID:         c.EventID,
		Type:       kind,
		OccurredAt: eventTime(c, now).UTC().Format(time.RFC3339),
		Conversion: wc,
	}
}

func webhookRequest(ctx context.Context, d Destination, c Conversion, now time.Time) (*http.Request, error) {
	body, err := json.Marshal(webhookPayload(c, now))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.cfg("url"), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(WebhookSignatureHeader, signWebhook(d.cfg("secret"), body))
	req.Header.Set(WebhookDeliveryIDHeader, c.EventID)
	req.Header.Set(WebhookTimestampHeader, strconv.FormatInt(now.Unix(), 10))
	return req, nil
}

// signWebhook is "sha256=" + hex HMAC-SHA256 of the exact body bytes.
func signWebhook(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifyWebhookSignature checks an X-Convrelay-Signature header against the
// raw body, in constant time. Receivers (and tests) use it.
func VerifyWebhookSignature(secret string, body []byte, header string) bool {
	want := signWebhook(secret, body)
	return hmac.Equal([]byte(want), []byte(strings.TrimSpace(header)))
}
