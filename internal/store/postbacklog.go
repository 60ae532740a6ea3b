package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// LogEntry is one request a network sent, as the postback log keeps it; the
// fields without `db:"-"` are logColumns, mapped by name.
type LogEntry struct {
	ID            int64
	AccountID     string
	Integration   string
	Method        string
	Path          string
	RawQuery      string
	RawBody       string
	SourceIP      string
	ReceivedAt    time.Time
	Canonical     json.RawMessage
	TransactionID string
	WorkflowID    string
	Outcome       string
	Error         string
	FailedReason  string // class of a 'failed' outcome
	TraceParent   string `db:"-"` // W3C traceparent of the accepting request (written, not listed)
	Note          string
	DispatchedAt  *time.Time
	ProcessedAt   *time.Time
}

// InsertLog records a request. The row is claimed by this process at once, so other
// processes' dispatchers leave it to this one unless this one dies.
func (s *Store) InsertLog(ctx context.Context, e *LogEntry) error {
	var canonical any
	if len(e.Canonical) > 0 {
		canonical = e.Canonical
	}
	var acct any
	if e.AccountID != "" {
		acct = e.AccountID
	}
	err := s.Pool.QueryRow(ctx, `INSERT INTO postback_log
		(account_id, integration, method, path, raw_query, raw_body, source_ip, received_at, canonical,
		 transaction_id, workflow_id, outcome, error, claimed_by, claimed_at, trace_parent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now(), $15)
		RETURNING id`,
		acct, e.Integration, e.Method, e.Path, e.RawQuery, e.RawBody, e.SourceIP, e.ReceivedAt, canonical,
		e.TransactionID, e.WorkflowID, e.Outcome, e.Error, s.Instance, e.TraceParent).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("insert postback log: %w", err)
	}
	return nil
}

// LogFilter narrows a postback log listing.
type LogFilter struct {
	Outcome       string
	TransactionID string
	Integration   string
	From, To      time.Time // received in [From, To); zero: unbounded
	Text          string    // free text: found in the query, body, error or note
	Before        int64     // cursor: ids below this
	Limit         int
}

const logColumns = `id, coalesce(account_id, '') AS account_id, integration, method, path, raw_query, raw_body, source_ip,
	received_at, canonical, transaction_id, workflow_id, outcome, error, failed_reason, note, dispatched_at, processed_at`

// ListLog lists an account's postback log, newest first.
func (s *Store) ListLog(ctx context.Context, accountID string, f LogFilter) ([]LogEntry, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+logColumns+` FROM postback_log
		WHERE account_id = $1 AND ($2 = '' OR outcome = $2) AND ($3 = '' OR transaction_id = $3) AND ($4 = 0 OR id < $4)
		  AND ($6 = '' OR integration = $6)
		  AND ($7::timestamptz IS NULL OR received_at >= $7) AND ($8::timestamptz IS NULL OR received_at < $8)
		  AND ($9 = '' OR strpos(raw_query, $9) > 0 OR strpos(raw_body, $9) > 0 OR strpos(error, $9) > 0 OR strpos(note, $9) > 0)
		ORDER BY id DESC LIMIT $5`, accountID, f.Outcome, f.TransactionID, f.Before, f.Limit,
		f.Integration, nullTime(f.From), nullTime(f.To), f.Text)
	if err != nil {
		return nil, fmt.Errorf("list postback log: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[LogEntry])
	if err != nil {
		return nil, fmt.Errorf("list postback log: %w", err)
	}
	return out, nil
}

// GetLog reads one row of an account's postback log.
func (s *Store) GetLog(ctx context.Context, accountID string, id int64) (LogEntry, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+logColumns+` FROM postback_log WHERE account_id = $1 AND id = $2`, accountID, id)
	if err != nil {
		return LogEntry{}, fmt.Errorf("get postback %d: %w", id, err)
	}
	e, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[LogEntry])
	if errors.Is(err, pgx.ErrNoRows) {
		return LogEntry{}, ErrNotFound
	}
	if err != nil {
		return LogEntry{}, fmt.Errorf("get postback %d: %w", id, err)
	}
	return e, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
