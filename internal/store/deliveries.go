package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/text"
)

// Delivery is one event sent (or to send) to one destination.
type Delivery struct {
	ID              int64      `json:"id"`
	ConversionID    int64      `json:"conversion_id"`
	DestinationID   int64      `json:"destination_id"`
	DestinationType string     `json:"destination_type"`
	DestinationName string     `json:"destination_name"`
	TransactionID   string     `json:"transaction_id"`
	WorkflowID      string     `json:"workflow_id"`
	Kind            string     `json:"kind"`
	EventID         string     `json:"event_id"`
	Status          string     `json:"status"`
	Attempts        int        `json:"attempts"`
	LastCode        int        `json:"last_code"`
	LastError       string     `json:"last_error,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	DeliveredAt     *time.Time `json:"delivered_at,omitempty"`
	Origin          string     `json:"origin"` // "live" (a status change of its conversion) or "backfill"
}

const deliveryColumns = `x.id, x.conversion_id, x.destination_id, d.type, d.name, c.transaction_id,
	'conv/' || c.account_id || '/' || c.tx_key, x.kind, x.event_key, x.status, x.attempts, x.last_code, x.last_error,
	x.created_at, x.updated_at, x.delivered_at, x.origin`

const deliveryJoins = ` FROM deliveries x JOIN destinations d ON d.id = x.destination_id JOIN conversions c ON c.id = x.conversion_id `

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	err := row.Scan(&d.ID, &d.ConversionID, &d.DestinationID, &d.DestinationType, &d.DestinationName, &d.TransactionID,
		&d.WorkflowID, &d.Kind, &d.EventID, &d.Status, &d.Attempts, &d.LastCode, &d.LastError, &d.CreatedAt, &d.UpdatedAt, &d.DeliveredAt,
		&d.Origin)
	return d, err
}

func (s *Store) deliveriesOfConversions(ctx context.Context, ids []int64) (map[int64][]Delivery, error) {
	out := map[int64][]Delivery{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+deliveryColumns+deliveryJoins+`WHERE x.conversion_id = ANY($1) ORDER BY x.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("scan delivery: %w", err)
		}
		out[d.ConversionID] = append(out[d.ConversionID], d)
	}
	return out, rows.Err()
}

// DeliveryFilter narrows a delivery listing.
type DeliveryFilter struct {
	Status        string
	DestinationID int64
	TransactionID string
	Before        int64
	Limit         int
	// Campaigns limits the listing to these campaigns' conversions; empty: all.
	Campaigns []int64
}

// ListDeliveries lists an account's deliveries, newest first.
func (s *Store) ListDeliveries(ctx context.Context, accountID string, f DeliveryFilter) ([]Delivery, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+deliveryColumns+deliveryJoins+`
		WHERE x.account_id = $1 AND ($2 = '' OR x.status = $2) AND ($3 = 0 OR x.destination_id = $3)
		  AND ($4 = '' OR c.transaction_id = $4) AND ($5 = 0 OR x.id < $5)
		  AND (cardinality($7::bigint[]) = 0 OR c.campaign_id = ANY($7::bigint[]))
		ORDER BY x.id DESC LIMIT $6`, accountID, f.Status, f.DestinationID, f.TransactionID, f.Before, f.Limit, orEmpty(f.Campaigns))
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("scan delivery: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// GetDelivery loads one delivery of an account.
func (s *Store) GetDelivery(ctx context.Context, accountID string, id int64) (Delivery, error) {
	d, err := scanDelivery(s.Pool.QueryRow(ctx, `SELECT `+deliveryColumns+deliveryJoins+`WHERE x.account_id = $1 AND x.id = $2`, accountID, id))
	if err != nil {
		return Delivery{}, fmt.Errorf("get delivery %d: %w", id, notFound(err))
	}
	return d, nil
}

// DeliveryJob is everything a delivery activity needs to build and send one event.
type DeliveryJob struct {
	Delivery Delivery
	// Value is the value of the change this delivery carries (nil: made before
	// life events; the conversion's value is sent).
	Value       *decimal.Decimal
	AccountID   string
	TxKey       string
	Destination Destination
	// DestinationDeleted: the destination was deleted after the delivery was
	// made (Destination.Enabled says whether it is switched off).
	DestinationDeleted bool
	Conversion         struct {
		Status      string
		Value       decimal.Decimal
		Currency    string
		EventName   string
		ConvertedAt time.Time
		Postback    json.RawMessage
		// AccountCurrency and Rate convert Value into the account's
		// currency (nil until the rate of the conversion's date is known).
		AccountCurrency *string
		Rate            *decimal.Decimal
		// Country is the conversion's country (its click's, else the
		// postback's); the consent columns what its postbacks carried
		// ("", "granted", "denied").
		Country                  string
		ConsentAdUserData        string
		ConsentAdPersonalization string
	}
	// EEAWithoutConsent is the account's eea_without_consent: send, denied or skip.
	EEAWithoutConsent string
	Click             *Click // nil when unattributed
}

// LoadDeliveryJob loads a delivery with its destination, conversion and click, in
// two queries (deliveries run once per destination per conversion: the hot path).
func (s *Store) LoadDeliveryJob(ctx context.Context, deliveryID int64) (DeliveryJob, error) {
	var j DeliveryJob
	var clickID string
	var d Delivery
	var dest Destination
	var fireOn string
	err := s.Pool.QueryRow(ctx, `SELECT `+deliveryColumns+`,
			x.value, c.account_id, c.tx_key, c.status, c.value, c.currency, c.event_name, c.converted_at, c.postback,
			c.account_currency, c.rate,
			CASE WHEN c.attributed THEN c.click_id ELSE '' END,
			c.country, c.consent_ad_user_data, c.consent_ad_personalization,
			(SELECT a.eea_without_consent FROM accounts a WHERE a.id = c.account_id),
			d.id, d.account_id, d.type, d.name, d.endpoint, d.config, d.fire_on, d.campaign_id, d.enabled, d.created_at, d.updated_at,
			d.deleted_at IS NOT NULL`+
		deliveryJoins+`WHERE x.id = $1`, deliveryID).Scan(
		&d.ID, &d.ConversionID, &d.DestinationID, &d.DestinationType, &d.DestinationName, &d.TransactionID,
		&d.WorkflowID, &d.Kind, &d.EventID, &d.Status, &d.Attempts, &d.LastCode, &d.LastError, &d.CreatedAt, &d.UpdatedAt, &d.DeliveredAt,
		&d.Origin, &j.Value, &j.AccountID, &j.TxKey, &j.Conversion.Status, &j.Conversion.Value, &j.Conversion.Currency, &j.Conversion.EventName,
		&j.Conversion.ConvertedAt, &j.Conversion.Postback, &j.Conversion.AccountCurrency, &j.Conversion.Rate, &clickID,
		&j.Conversion.Country, &j.Conversion.ConsentAdUserData, &j.Conversion.ConsentAdPersonalization, &j.EEAWithoutConsent,
		&dest.ID, &dest.AccountID, &dest.Type, &dest.Name, &dest.Endpoint, &dest.Config, &fireOn, &dest.CampaignID, &dest.Enabled,
		&dest.CreatedAt, &dest.UpdatedAt, &j.DestinationDeleted)
	if err != nil {
		return j, fmt.Errorf("load delivery %d: %w", deliveryID, notFound(err))
	}
	if dest.Config, err = s.openConfig(dest.Config); err != nil {
		return j, fmt.Errorf("load delivery %d: destination %d: %w", deliveryID, dest.ID, err)
	}
	if dest.FireOn, err = parseFireOn(fireOn); err != nil {
		return j, fmt.Errorf("load delivery %d: %w", deliveryID, err)
	}
	j.Delivery, j.Destination = d, dest
	if clickID != "" {
		c, err := s.GetClick(ctx, j.AccountID, clickID)
		if err == nil {
			j.Click = &c
		} else if !isNotFound(err) {
			return j, err
		}
	}
	return j, nil
}

// StartAttempt counts a delivery attempt as it starts and returns its number:
// one more than every attempt started before, whoever ran it.
func (s *Store) StartAttempt(ctx context.Context, id int64) (int, error) {
	var n int
	err := s.Pool.QueryRow(ctx, `UPDATE deliveries SET attempts_started = GREATEST(attempts_started, attempts) + 1,
			awaiting_workflow_since = NULL
		WHERE id = $1 RETURNING attempts_started`, id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("start attempt of delivery %d: %w", id, notFound(err))
	}
	return n, nil
}

// attemptsAfter counts one more attempt. attempt is Temporal's number for it
// within the current activity (it restarts at 1 when a failed delivery is
// re-driven), so the log keeps counting across re-drives, and an attempt lost
// with a crashed worker still shows in the count the next one reports.
const attemptsAfter = `GREATEST(attempts + 1, $2)`

// RecordAttempt notes one delivery attempt's answer; status stays pending while
// Temporal retries.
func (s *Store) RecordAttempt(ctx context.Context, id int64, attempt int, code int, errText string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE deliveries SET attempts = `+attemptsAfter+`, last_code = $3, last_error = $4, updated_at = now()
		WHERE id = $1 AND status = 'pending'`, id, attempt, code, text.Truncate(text.Escape(errText), 2000))
	if err != nil {
		return fmt.Errorf("record delivery attempt: %w", err)
	}
	return nil
}

// MarkDelivered records a successful delivery.
func (s *Store) MarkDelivered(ctx context.Context, id int64, attempt int, code int) error {
	_, err := s.Pool.Exec(ctx, `UPDATE deliveries SET status = 'delivered', attempts = `+attemptsAfter+`, last_code = $3,
		last_error = '', delivered_at = now(), updated_at = now(), awaiting_workflow_since = NULL
		WHERE id = $1 AND status <> 'delivered'`, id, attempt, code)
	if err != nil {
		return fmt.Errorf("mark delivered: %w", err)
	}
	return nil
}

// MarkDeliverySkipped records a pending delivery that is not to be sent, with
// the reason (an EEA conversion without consent in an account that skips
// those). It returns false when the delivery was not pending.
func (s *Store) MarkDeliverySkipped(ctx context.Context, id int64, reason string) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE deliveries SET status = 'skipped', last_error = $2, updated_at = now(),
			awaiting_workflow_since = NULL
		WHERE id = $1 AND status = 'pending'`, id, text.Truncate(text.Escape(reason), 2000))
	if err != nil {
		return false, fmt.Errorf("mark delivery %d skipped: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// MarkDeliveryFailed records a delivery that will not be retried any more. A
// reason (the retry window ran out) is put before the platform's last answer,
// which is kept. It returns the destination's type when this call made the
// delivery failed, and "" when it was not pending (already final, or marked by an
// earlier try of the same step), so a caller counts each failure once.
func (s *Store) MarkDeliveryFailed(ctx context.Context, id int64, reason string) (string, error) {
	var destType string
	err := s.Pool.QueryRow(ctx, `UPDATE deliveries x SET status = 'failed',
			last_error = left(CASE WHEN $2::text = '' THEN x.last_error WHEN x.last_error = '' THEN $2::text
				ELSE $2::text || '; last error: ' || x.last_error END, 2000),
			updated_at = now(), awaiting_workflow_since = NULL
		FROM destinations d
		WHERE x.id = $1 AND x.status = 'pending' AND d.id = x.destination_id
		RETURNING d.type`, id, text.Truncate(text.Escape(reason), 500)).Scan(&destType)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("mark delivery failed: %w", err)
	}
	return destType, nil
}
