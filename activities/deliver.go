package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// DeliverInput names the delivery to send.
type DeliverInput struct {
	DeliveryID int64 `json:"delivery_id"`
}

// DeliverResult is the platform's answer to a successful delivery.
type DeliverResult struct {
	StatusCode int `json:"status_code"`
	Attempt    int `json:"attempt"`
	// Unrecorded: the platform has the event but PostgreSQL could not record it
	// within the attempt; the workflow records it (retrying until the database is
	// back), so Temporal never sends the same event again for want of bookkeeping.
	Unrecorded bool `json:"unrecorded,omitempty"`
}

// ErrTypeNotRetryable marks delivery errors Temporal must not retry.
const ErrTypeNotRetryable = "DeliveryNotRetryable"

// Deliver builds one event for one destination and sends it. Every attempt's answer
// is written to the delivery log; a retryable failure is returned for Temporal to
// retry (honouring Retry-After), a permanent one as a non-retryable error.
func (a *Activities) Deliver(ctx context.Context, in DeliverInput) (DeliverResult, error) {
	job, err := a.Store.LoadDeliveryJob(ctx, in.DeliveryID)
	if err != nil {
		return DeliverResult{}, fmt.Errorf("deliver %d: %w", in.DeliveryID, err)
	}
	switch job.Delivery.Status {
	case "delivered":
		// A retry after the platform's answer was recorded: sent already.
		return DeliverResult{StatusCode: job.Delivery.LastCode, Attempt: job.Delivery.Attempts}, nil
	case "suppressed", "failed", "capped", "cap_rejected":
		// Not to be sent. A failed one (given up on, or its hand-over failed) is
		// sent again only by a re-drive, which puts it back to pending first,
		// never by a repeated signal; a capped one (past a campaign cap) never
		// reaches a workflow.
		return DeliverResult{}, nil
	}
	reason := destinationSkip(job)
	if reason == "" {
		reason = consentSkip(job)
	}
	if reason != "" {
		// Its destination was switched off or deleted after it was made (a
		// pending delivery, or a re-drive), or it was made before the account
		// chose skip, or by a backfill: not sent, and the log says why (no
		// attempt is counted).
		if _, err := a.Store.MarkDeliverySkipped(ctx, in.DeliveryID, reason); err != nil {
			return DeliverResult{}, fmt.Errorf("deliver %d: %w", in.DeliveryID, err)
		}
		if a.Metrics != nil {
			a.Metrics.Deliveries.WithLabelValues(job.Destination.Type, "skipped").Inc()
		}
		return DeliverResult{}, nil
	}
	// Counted before the request goes out, so an attempt cut off by a worker that
	// died still shows: Temporal numbers a retried activity's attempts, but not a
	// first attempt made inside a workflow task that had to be run again.
	attempt, err := a.Store.StartAttempt(ctx, in.DeliveryID)
	if err != nil {
		return DeliverResult{}, fmt.Errorf("deliver %d: %w", in.DeliveryID, err)
	}
	dest := destinations.Destination{
		ID: job.Destination.ID, Type: destinations.Type(job.Destination.Type), Name: job.Destination.Name,
		Endpoint: job.Destination.Endpoint, Config: job.Destination.Config,
	}
	// The log is written even when the attempt's context is ending (worker
	// shutdown, start-to-close timeout), so no answer goes unrecorded.
	logCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	event, err := buildConversion(job)
	if err != nil {
		if rerr := a.Store.RecordAttempt(logCtx, in.DeliveryID, attempt, 0, err.Error()); rerr != nil {
			return DeliverResult{}, rerr
		}
		a.count(job.Destination.Type, "") // the failure is counted when marked failed
		return DeliverResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNotRetryable, err)
	}
	stopBeat := heartbeat(ctx, 3*time.Second)
	defer stopBeat()
	result, sendErr := a.Sender.Deliver(ctx, dest, event)
	if sendErr == nil {
		a.count(job.Destination.Type, "delivered")
		// The platform has the event: retry the bookkeeping through a short database
		// outage; past that, succeed anyway and hand the bookkeeping to the workflow
		// rather than let Temporal send the same event id again.
		markCtx, cancelMark := context.WithTimeout(logCtx, 10*time.Second)
		defer cancelMark()
		if err := retryFor(markCtx, func() error {
			return a.Store.MarkDelivered(markCtx, in.DeliveryID, attempt, result.StatusCode)
		}); err != nil {
			a.Logger.Warn("delivered, bookkeeping left to the workflow", "delivery_id", in.DeliveryID, "error", err)
			return DeliverResult{StatusCode: result.StatusCode, Attempt: attempt, Unrecorded: true}, nil
		}
		return DeliverResult{StatusCode: result.StatusCode, Attempt: attempt}, nil
	}
	var de *destinations.DeliveryError
	code := result.StatusCode
	if errors.As(sendErr, &de) && de.StatusCode != 0 {
		code = de.StatusCode
	}
	if err := a.Store.RecordAttempt(logCtx, in.DeliveryID, attempt, code, sendErr.Error()); err != nil {
		return DeliverResult{}, err
	}
	// Debug: the SDK already logs every failed attempt at error level.
	a.Logger.Debug("delivery attempt failed", "delivery_id", in.DeliveryID, "destination", dest.Type, "attempt", attempt,
		"status_code", code, "error", sendErr)
	if de != nil && !de.Retryable {
		a.count(job.Destination.Type, "") // the failure is counted when marked failed
		return DeliverResult{}, temporal.NewNonRetryableApplicationError(sendErr.Error(), ErrTypeNotRetryable, sendErr)
	}
	a.count(job.Destination.Type, "")
	opts := temporal.ApplicationErrorOptions{Cause: sendErr}
	if de != nil && de.RetryAfter > 0 {
		opts.NextRetryDelay = de.RetryAfter
	}
	return DeliverResult{}, temporal.NewApplicationErrorWithOptions(sendErr.Error(), "DeliveryFailed", opts)
}

// buildConversion turns the stored conversion, its postback and its click into the
// event a destination sends.
func buildConversion(job store.DeliveryJob) (destinations.Conversion, error) {
	var p postback.Postback
	if len(job.Conversion.Postback) > 0 {
		if err := json.Unmarshal(job.Conversion.Postback, &p); err != nil {
			return destinations.Conversion{}, fmt.Errorf("decode stored postback: %w", err)
		}
	}
	c := destinations.Conversion{
		EventID:   job.Delivery.EventID,
		EventName: job.Conversion.EventName,
		EventTime: job.Conversion.ConvertedAt,
		Status:    job.Conversion.Status,
		Kind:      job.Delivery.Kind,
		// The key of the destination's first conversion delivery: what an
		// upload was sent with, so adjustments of it find it (Google order_id).
		OrderID:       store.EventKey(job.AccountID, conv.ConversionKey(job.TxKey, job.Rebill), job.Destination.ID, destinations.KindConversion),
		ChangedAt:     job.Delivery.CreatedAt,
		Value:         deliveredValue(job),
		Currency:      job.Conversion.Currency,
		Rate:          job.Conversion.Rate,
		TransactionID: p.TransactionID,
		PixelEventID:  p.EventID,
		FromTag:       p.Tag,
		ClickID:       p.ClickID,
		User: destinations.UserData{
			Email: p.Traits.Email, Phone: p.Traits.Phone, FirstName: p.Traits.FirstName, LastName: p.Traits.LastName,
			Birthdate: p.Traits.Birthdate, City: p.Traits.City, State: p.Traits.State, Zip: p.Traits.Zipcode,
			Country: p.Traits.Country, IP: p.IP, UserAgent: p.UserAgent,
		},
		Passthrough: map[string]string{},
		Consent:     consentOf(job),
	}
	if job.Conversion.AccountCurrency != nil {
		c.AccountCurrency = *job.Conversion.AccountCurrency
	}
	if c.User.Email == "" {
		c.User.Email = p.Email
	}
	for _, kv := range p.Passthrough {
		c.Passthrough[kv.Name] = kv.Value
	}
	for _, it := range p.Items {
		item := destinations.Item{ID: it.ID, Name: it.Name, Variant: it.Variant}
		if it.Price != nil {
			item.Price = *it.Price
		}
		if it.Quantity != nil {
			item.Quantity = *it.Quantity
		}
		c.Items = append(c.Items, item)
	}
	if k := job.Click; k != nil {
		c.ClickID = k.ID
		c.ExternalID = k.ExternalID
		c.User.ExternalID = k.ExternalID
		if k.CampaignID != nil {
			c.CampaignID = fmt.Sprint(*k.CampaignID)
		}
		c.TrafficSource = k.TrafficSource
		c.SourceURL = k.Referrer
		c.Subs = k.Subs
		c.User.FBC, c.User.FBP = k.FBC, k.FBP
		c.User.GCLID, c.User.GBRAID, c.User.WBRAID, c.User.TTCLID = k.GCLID, k.GBRAID, k.WBRAID, k.TTCLID
		c.User.TTP, c.User.GAClientID = k.TTP, k.GAClientID
		if c.User.IP == "" {
			c.User.IP = k.IP
		}
		if c.User.UserAgent == "" {
			c.User.UserAgent = k.UserAgent
		}
		if c.User.Email == "" {
			c.User.Email = k.Email
		}
	}
	if id := destinations.GAClientID(p.GAClientID); id != "" {
		// Sent with the postback: newer than the click's cookie.
		c.User.GAClientID = id
	}
	return c, nil
}

// consentOf is the consent a delivery carries: what the conversion's
// postbacks said, or for an EEA conversion without a signal what the
// account's eea_without_consent says (denied, or nothing for send and skip).
// Only ad platforms read it.
func consentOf(job store.DeliveryJob) destinations.Consent {
	signal := destinations.Consent{
		AdUserData:        destinations.ConsentStatus(job.Conversion.ConsentAdUserData),
		AdPersonalization: destinations.ConsentStatus(job.Conversion.ConsentAdPersonalization),
	}
	policy, _ := destinations.ParseEEAPolicy(job.EEAWithoutConsent)
	c, _ := destinations.ConsentFor(signal, job.Conversion.Country, policy)
	return c
}

// consentSkip is why an ad-platform delivery must not be sent (the account
// skips EEA conversions without consent), or "".
// destinationSkip is why a delivery is not sent to a destination switched off
// or deleted since it was made ("" when it is live).
func destinationSkip(job store.DeliveryJob) string {
	switch {
	case job.DestinationDeleted:
		return "destination deleted"
	case !job.Destination.Enabled:
		return "destination disabled"
	}
	return ""
}

func consentSkip(job store.DeliveryJob) string {
	if !destinations.IsAdPlatform(destinations.Type(job.Destination.Type)) {
		return ""
	}
	signal := destinations.Consent{
		AdUserData:        destinations.ConsentStatus(job.Conversion.ConsentAdUserData),
		AdPersonalization: destinations.ConsentStatus(job.Conversion.ConsentAdPersonalization),
	}
	policy, _ := destinations.ParseEEAPolicy(job.EEAWithoutConsent)
	if _, skip := destinations.ConsentFor(signal, job.Conversion.Country, policy); skip {
		return destinations.ConsentSkipReason(job.Conversion.Country)
	}
	return ""
}

// heartbeat tells Temporal the attempt is alive while a platform is slow to
// answer, so a crashed worker is noticed after the heartbeat timeout instead of the
// whole attempt timeout. It returns a function that stops it.
func heartbeat(ctx context.Context, every time.Duration) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

// retryFor calls f until it succeeds or ctx ends, backing off up to 2 s.
func retryFor(ctx context.Context, f func() error) error {
	wait := 100 * time.Millisecond
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// deliveredValue is the value of the change a delivery carries, so a delivery
// sent late (retried through an outage) still says what that change said.
func deliveredValue(job store.DeliveryJob) decimal.Decimal {
	if job.Value != nil {
		return *job.Value
	}
	return job.Conversion.Value
}
