package destinations

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Signed JSON webhook to the operator's own endpoint, following Standard
// Webhooks (standardwebhooks.com): webhook-id is the delivery's idempotency key,
// webhook-timestamp the send time, webhook-signature "v1,<base64 HMAC-SHA256 of
// id.timestamp.body>". The id and time are signed with the body, so a captured
// request cannot be replayed later or as another event. The secret is
// "whsec_<base64 key>"; while a destination's secret rotates, previous_secret
// signs too and the header carries both signatures, space-separated.

// Standard Webhooks headers.
const (
	WebhookIDHeader        = standardwebhooks.HeaderWebhookID
	WebhookTimestampHeader = standardwebhooks.HeaderWebhookTimestamp
	WebhookSignatureHeader = standardwebhooks.HeaderWebhookSignature
)

// WebhookSecretPrefix marks a Standard Webhooks secret.
const WebhookSecretPrefix = "whsec_"

// NewWebhookSecret returns a random secret in whsec_ form (32 bytes).
func NewWebhookSecret() (string, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// webhookSigner reads a secret: whsec_<base64> as Standard Webhooks says; any
// other value (destinations made before) is used as the key bytes as given.
func webhookSigner(secret string) (*standardwebhooks.Webhook, error) {
	if strings.HasPrefix(secret, WebhookSecretPrefix) {
		return standardwebhooks.NewWebhook(secret)
	}
	return standardwebhooks.NewWebhookRaw([]byte(secret))
}

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
	sig, err := signWebhook(c.EventID, now, body, d.cfg("secret"), d.cfg("previous_secret"))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.cfg("url"), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(WebhookIDHeader, c.EventID)
	req.Header.Set(WebhookTimestampHeader, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(WebhookSignatureHeader, sig)
	return req, nil
}

// signWebhook signs id.timestamp.body with every non-empty secret given, in
// order, space-separated.
func signWebhook(id string, at time.Time, body []byte, secrets ...string) (string, error) {
	var sigs []string
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		wh, err := webhookSigner(secret)
		if err != nil {
			return "", errors.New("webhook secret is not whsec_ followed by base64")
		}
		sig, err := wh.Sign(id, at, body)
		if err != nil {
			return "", fmt.Errorf("sign webhook: %w", err)
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// VerifyWebhook checks a received webhook against a secret (Standard Webhooks:
// any one of the signatures matches, timestamp within five minutes). Go
// receivers (and the drill's fake receiver) use it.
func VerifyWebhook(secret string, header http.Header, body []byte) error {
	wh, err := webhookSigner(secret)
	if err != nil {
		return fmt.Errorf("webhook secret: %w", err)
	}
	return wh.Verify(body, header)
}

// checkWebhookSecret is Validate's rule for a secret that claims whsec_ form.
func checkWebhookSecret(secret string) error {
	if secret == "" || !strings.HasPrefix(secret, WebhookSecretPrefix) {
		return nil
	}
	if _, err := standardwebhooks.NewWebhook(secret); err != nil {
		return errors.New("is not whsec_ followed by base64")
	}
	return nil
}
