package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
)

// DeliveryHandOver is a delivery the API wrote for a transaction's workflow (a
// backfill, a re-drive), with what signalling it there needs: the start options
// of a run, when the transaction's workflow has completed.
type DeliveryHandOver struct {
	AccountID     string
	Ref           conv.DeliveryRef
	TxKey         string
	Status        string // the conversion's status now, for the search attributes of a run the signal starts
	TransactionID string
	Integration   string
	EventName     string
	ClickID       string
	Value         decimal.Decimal
	Currency      string
}

// handOverColumns are what a hand-over reads of a delivery d, its destination t
// and its conversion c, in scanHandOver's order.
const handOverColumns = `d.account_id, d.id, d.destination_id, t.type, t.name, c.tx_key, c.status, c.transaction_id,
	c.integration, c.event_name, CASE WHEN c.attributed THEN c.click_id ELSE '' END, c.value, c.currency`

// scanHandOver reads handOverColumns; the summary (shown in the Temporal UI)
// starts with why the delivery is handed over.
func scanHandOver(row pgx.Row, why string) (DeliveryHandOver, error) {
	var h DeliveryHandOver
	var destName string
	if err := row.Scan(&h.AccountID, &h.Ref.ID, &h.Ref.DestinationID, &h.Ref.DestinationType, &destName, &h.TxKey, &h.Status,
		&h.TransactionID, &h.Integration, &h.EventName, &h.ClickID, &h.Value, &h.Currency); err != nil {
		return h, err
	}
	h.Ref.Summary = why + h.Ref.DestinationType + " " + destName
	return h, nil
}

// ReDrive puts a failed delivery back to pending, noted as awaiting its
// workflow (so the reconciler hands it over again if the signal never arrives),
// and returns what handing it to its workflow needs. A delivery held past a
// campaign cap (capped) is released the same way, by the operator's choice: it
// takes no slot. A delivery that is neither is ErrConflict; one that is not
// the account's, ErrNotFound.
func (s *Store) ReDrive(ctx context.Context, accountID string, id int64) (DeliveryHandOver, error) {
	h, err := scanHandOver(s.Pool.QueryRow(ctx, `UPDATE deliveries d SET status = 'pending', updated_at = now(), awaiting_workflow_since = now()
		FROM conversions c, destinations t
		WHERE d.account_id = $1 AND d.id = $2 AND d.status IN ('failed', 'capped') AND c.id = d.conversion_id AND t.id = d.destination_id
		RETURNING `+handOverColumns, accountID, id), "retry delivery to ")
	if err == nil {
		return h, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return h, fmt.Errorf("re-drive delivery: %w", err)
	}
	d, err := s.GetDelivery(ctx, accountID, id)
	if err != nil {
		return h, err
	}
	return h, fmt.Errorf("delivery %d is %s, not failed or capped: %w", id, d.Status, ErrConflict)
}

// AwaitingWorkflow lists pending deliveries the API wrote more than olderThan ago
// whose workflow has not started an attempt (the signal was never sent, or never
// arrived), oldest first, and notes them as handed over again now, so the next
// sweep waits olderThan before it repeats one. Each comes with what its
// conversion's workflow needs to start.
func (s *Store) AwaitingWorkflow(ctx context.Context, olderThan time.Duration, limit int) ([]DeliveryHandOver, error) {
	rows, err := s.Pool.Query(ctx, `WITH due AS (
			SELECT id FROM deliveries
			WHERE awaiting_workflow_since < now() - $1::interval AND status = 'pending'
			ORDER BY awaiting_workflow_since LIMIT $2
			FOR UPDATE SKIP LOCKED)
		UPDATE deliveries d SET awaiting_workflow_since = now()
		FROM due, conversions c, destinations t
		WHERE d.id = due.id AND c.id = d.conversion_id AND t.id = d.destination_id
		RETURNING `+handOverColumns, olderThan.String(), limit)
	if err != nil {
		return nil, fmt.Errorf("deliveries awaiting their workflow: %w", err)
	}
	defer rows.Close()
	var out []DeliveryHandOver
	for rows.Next() {
		h, err := scanHandOver(rows, "hand-over again: delivery to ")
		if err != nil {
			return nil, fmt.Errorf("scan delivery awaiting its workflow: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("deliveries awaiting their workflow: %w", err)
	}
	return out, nil
}

// AwaitingWorkflowStats counts pending deliveries the API wrote that no workflow
// has started yet, and the age of the oldest (a backfill in progress shows here
// briefly; one that stays is what the reconciler hands over again).
func (s *Store) AwaitingWorkflowStats(ctx context.Context) (count int64, oldest time.Duration, err error) {
	return s.countAndOldest(ctx, "deliveries awaiting their workflow", "deliveries", "awaiting_workflow_since",
		`awaiting_workflow_since IS NOT NULL AND status = 'pending'`)
}
