package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// RecordInput is one postback's decided effect.
type RecordInput struct {
	PostbackID  int64             `json:"postback_id"`
	AccountID   string            `json:"account_id"`
	TxKey       string            `json:"tx_key"`
	Integration string            `json:"integration"`
	ReceivedAt  time.Time         `json:"received_at"`
	Postback    postback.Postback `json:"postback"`
	Attribution conv.Attribution  `json:"attribution"`
	Decision    conv.Decision     `json:"decision"`
	Prev        conv.State        `json:"prev"`
}

// Record writes the conversion, its history entry, its deliveries and the postback's
// outcome in one database transaction; a retry returns the first result.
func (a *Activities) Record(ctx context.Context, in RecordInput) (store.RecordResult, error) {
	raw, err := json.Marshal(in.Postback)
	if err != nil {
		return store.RecordResult{}, fmt.Errorf("encode postback %d: %w", in.PostbackID, err)
	}
	currency := in.Postback.Currency
	if currency == "" {
		currency = in.Prev.Currency
	}
	if currency == "" {
		currency = in.Attribution.AccountCurrency
	}
	// An event inferred from the value (Lead/Purchase) does not rename a recorded
	// conversion: a status update without a value must not turn a Purchase into a Lead.
	eventName := in.Postback.EventName
	if in.Prev.EventName != "" && (eventName == "" || in.Postback.EventSource == postback.EventSourceAutomatic) {
		eventName = in.Prev.EventName
	}
	convertedAt := in.ReceivedAt
	if in.Postback.Timestamp != nil {
		convertedAt = *in.Postback.Timestamp
	}
	res, err := a.Store.Record(ctx, store.RecordParams{
		PostbackID:       in.PostbackID,
		AccountID:        in.AccountID,
		TxKey:            in.TxKey,
		TransactionID:    in.Postback.TransactionID,
		Integration:      in.Integration,
		EventName:        eventName,
		Currency:         currency,
		ConvertedAt:      convertedAt,
		Postback:         raw,
		Attribution:      in.Attribution,
		Decision:         in.Decision,
		DisablePostbacks: in.Postback.DisablePostbacks,
	})
	if err != nil {
		return store.RecordResult{}, err
	}
	return res, nil
}

// MarkDeliveryFailed records a delivery Temporal gave up on (non-retryable answer or
// retry window exhausted). Every final failure passes here once, so this is where
// it is counted.
func (a *Activities) MarkDeliveryFailed(ctx context.Context, deliveryID int64, reason string) error {
	destType, err := a.Store.MarkDeliveryFailed(ctx, deliveryID, reason)
	if err != nil {
		return err
	}
	if destType != "" && a.Metrics != nil {
		a.Metrics.Deliveries.WithLabelValues(destType, "failed").Inc()
	}
	return nil
}
