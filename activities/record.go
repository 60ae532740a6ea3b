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

// RecordInput is one postback's decided effect. The postback itself is named by id:
// the store copies its content from the postback log.
type RecordInput struct {
	PostbackID  int64            `json:"postback_id"`
	AccountID   string           `json:"account_id"`
	TxKey       string           `json:"tx_key"`
	Integration string           `json:"integration"`
	ReceivedAt  time.Time        `json:"received_at"`
	Facts       *PostbackFacts   `json:"facts,omitempty"`
	Attribution conv.Attribution `json:"attribution"`
	Decision    conv.Decision    `json:"decision"`
	Prev        conv.State       `json:"prev"`
	// Postback is set only by workflows replaying histories recorded before the
	// postback was passed by reference.
	Postback *postback.Postback `json:"postback,omitempty"`
}

// Record writes the conversion, its history entry, its deliveries and the postback's
// outcome in one database transaction; a retry returns the first result.
func (a *Activities) Record(ctx context.Context, in RecordInput) (conv.RecordResult, error) {
	var raw []byte
	facts := in.Facts
	if in.Postback != nil {
		var err error
		if raw, err = json.Marshal(in.Postback); err != nil {
			return conv.RecordResult{}, permanent(store.FailedInternal, fmt.Errorf("encode postback %d: %w", in.PostbackID, err))
		}
		f := FactsOf(in.Postback)
		facts = &f
	}
	if facts == nil {
		return conv.RecordResult{}, permanent(store.FailedInternal, fmt.Errorf("record postback %d: no facts", in.PostbackID))
	}
	currency := facts.Currency
	if currency == "" {
		currency = in.Prev.Currency
	}
	if currency == "" {
		currency = in.Attribution.AccountCurrency
	}
	// An event inferred from the value (Lead/Purchase) does not rename a recorded
	// conversion: a status update without a value must not turn a Purchase into a Lead.
	eventName := facts.EventName
	if in.Prev.EventName != "" && (eventName == "" || facts.EventSource == postback.EventSourceAutomatic) {
		eventName = in.Prev.EventName
	}
	convertedAt := in.ReceivedAt
	if facts.Timestamp != nil {
		convertedAt = *facts.Timestamp
	}
	// The decision applies to the transaction's latest conversion, or makes
	// the next one (duplicate mode new).
	rebill := in.Prev.Rebill
	if in.Decision.NewConversion {
		rebill++
	}
	res, err := a.Store.Record(ctx, store.RecordParams{
		PostbackID:       in.PostbackID,
		AccountID:        in.AccountID,
		TxKey:            in.TxKey,
		TransactionID:    facts.TransactionID,
		Integration:      in.Integration,
		EventName:        eventName,
		Currency:         currency,
		ConvertedAt:      convertedAt,
		Postback:         raw,
		Attribution:      in.Attribution,
		Decision:         in.Decision,
		DisablePostbacks: facts.DisablePostbacks,
		Rebill:           rebill,
	})
	if err != nil {
		return conv.RecordResult{}, classifyDB(err)
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

// MarkDelivered records a delivery the platform accepted but whose bookkeeping the
// Deliver activity could not write (see DeliverResult.Unrecorded).
func (a *Activities) MarkDelivered(ctx context.Context, deliveryID int64, attempt, statusCode int) error {
	return a.Store.MarkDelivered(ctx, deliveryID, attempt, statusCode)
}
