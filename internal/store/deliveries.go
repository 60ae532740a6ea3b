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

// Delivery is one event sent (or to send) to one destination: a row of
// deliveryColumns, mapped by name.
type Delivery struct {
	ID              int64
	ConversionID    int64
	DestinationID   int64
	DestinationType string
	DestinationName string
	TransactionID   string
	WorkflowID      string
	Kind            string
	EventID         string
	Status          string
	Attempts        int
	LastCode        int
	LastError       string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	DeliveredAt     *time.Time
	Origin          string // "live" (a status change of its conversion) or "backfill"
}

const deliveryColumns = `x.id, x.conversion_id, x.destination_id, d.type AS destination_type, d.name AS destination_name,
	c.transaction_id, 'conv/' || c.account_id || '/' || c.tx_key AS workflow_id, x.kind, x.event_key AS event_id, x.status,
	x.attempts, x.last_code, x.last_error, x.created_at, x.updated_at, x.delivered_at, x.origin`

const deliveryJoins = ` FROM deliveries x JOIN destinations d ON d.id = x.destination_id JOIN conversions c ON c.id = x.conversion_id `

func (s *Store) deliveriesOfConversions(ctx context.Context, ids []int64) (map[int64][]Delivery, error) {
	out := map[int64][]Delivery{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := collectRows[Delivery](s.Pool.Query(ctx, `SELECT `+deliveryColumns+deliveryJoins+`WHERE x.conversion_id = ANY($1) ORDER BY x.id`, ids))
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	for _, d := range list {
		out[d.ConversionID] = append(out[d.ConversionID], d)
	}
	return out, nil
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
	out, err := collectRows[Delivery](s.Pool.Query(ctx, `SELECT `+deliveryColumns+deliveryJoins+`
		WHERE x.account_id = $1 AND ($2 = '' OR x.status = $2) AND ($3 = 0 OR x.destination_id = $3)
		  AND ($4 = '' OR c.transaction_id = $4) AND ($5 = 0 OR x.id < $5)
		  AND (cardinality($7::bigint[]) = 0 OR c.campaign_id = ANY($7::bigint[]))
		ORDER BY x.id DESC LIMIT $6`, accountID, f.Status, f.DestinationID, f.TransactionID, f.Before, f.Limit, orEmpty(f.Campaigns)))
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// GetDelivery loads one delivery of an account.
func (s *Store) GetDelivery(ctx context.Context, accountID string, id int64) (Delivery, error) {
	d, err := collectOneRow[Delivery](s.Pool.Query(ctx, `SELECT `+deliveryColumns+deliveryJoins+`WHERE x.account_id = $1 AND x.id = $2`, accountID, id))
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
	Rebill      int // the conversion within its transaction (conv.ConversionKey)
	Destination Destination
	// DestinationDeleted: the destination was deleted after the delivery was
	// made (Destination.Enabled says whether it is switched off).
	DestinationDeleted bool
	Conversion         JobConversion
	// EEAWithoutConsent is the account's eea_without_consent: send, denied or skip.
	EEAWithoutConsent string
	Click             *Click // nil when unattributed
}

// JobConversion is what a delivery job carries of its conversion.
type JobConversion struct {
	Status      string `db:"conversion_status"`
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

// deliveryJobRow is LoadDeliveryJob's row, mapped by name: the delivery, its
// conversion's part, and the destination's columns the delivery's lack (dest_*).
type deliveryJobRow struct {
	Delivery
	JobConversion
	JobValue           *decimal.Decimal
	AccountID          string
	TxKey              string
	Rebill             int
	AttributedClick    string
	EEAWithoutConsent  string
	DestAccountID      string
	DestEndpoint       string
	DestConfig         map[string]string
	DestFireOn         string
	DestCampaignID     *int64
	DestEnabled        bool
	DestCreatedAt      time.Time
	DestUpdatedAt      time.Time
	DestinationDeleted bool
}

// LoadDeliveryJob loads a delivery with its destination, conversion and click, in
// two queries (deliveries run once per destination per conversion: the hot path).
func (s *Store) LoadDeliveryJob(ctx context.Context, deliveryID int64) (DeliveryJob, error) {
	r, err := collectOneRow[deliveryJobRow](s.Pool.Query(ctx, `SELECT `+deliveryColumns+`,
			x.value AS job_value, c.account_id, c.tx_key, c.rebill, c.status AS conversion_status, c.value, c.currency, c.event_name,
			c.converted_at, c.postback, c.account_currency, c.rate,
			CASE WHEN c.attributed THEN c.click_id ELSE '' END AS attributed_click,
			c.country, c.consent_ad_user_data, c.consent_ad_personalization,
			(SELECT a.eea_without_consent FROM accounts a WHERE a.id = c.account_id) AS eea_without_consent,
			d.account_id AS dest_account_id, d.endpoint AS dest_endpoint, d.config AS dest_config, d.fire_on AS dest_fire_on,
			d.campaign_id AS dest_campaign_id, d.enabled AS dest_enabled, d.created_at AS dest_created_at,
			d.updated_at AS dest_updated_at, d.deleted_at IS NOT NULL AS destination_deleted`+
		deliveryJoins+`WHERE x.id = $1`, deliveryID))
	if err != nil {
		return DeliveryJob{}, fmt.Errorf("load delivery %d: %w", deliveryID, notFound(err))
	}
	j := DeliveryJob{Delivery: r.Delivery, Value: r.JobValue, AccountID: r.AccountID, TxKey: r.TxKey, Rebill: r.Rebill,
		Conversion: r.JobConversion, EEAWithoutConsent: r.EEAWithoutConsent, DestinationDeleted: r.DestinationDeleted}
	dest := Destination{ID: r.DestinationID, AccountID: r.DestAccountID, Type: r.DestinationType, Name: r.DestinationName,
		Endpoint: r.DestEndpoint, CampaignID: r.DestCampaignID, Enabled: r.DestEnabled, CreatedAt: r.DestCreatedAt,
		UpdatedAt: r.DestUpdatedAt}
	if dest.Config, err = s.openConfig(r.DestConfig); err != nil {
		return j, fmt.Errorf("load delivery %d: destination %d: %w", deliveryID, dest.ID, err)
	}
	if dest.FireOn, err = parseFireOn(r.DestFireOn); err != nil {
		return j, fmt.Errorf("load delivery %d: %w", deliveryID, err)
	}
	j.Destination = dest
	if r.AttributedClick != "" {
		c, err := s.GetClick(ctx, j.AccountID, r.AttributedClick)
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
