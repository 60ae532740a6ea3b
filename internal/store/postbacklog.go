package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// LogEntry is one request a network sent, as the postback log keeps it.
type LogEntry struct {
	ID            int64           `json:"id"`
	AccountID     string          `json:"account_id"`
	Integration   string          `json:"integration"`
	Method        string          `json:"method"`
	Path          string          `json:"path"`
	RawQuery      string          `json:"raw_query"`
	RawBody       string          `json:"raw_body"`
	SourceIP      string          `json:"source_ip"`
	ReceivedAt    time.Time       `json:"received_at"`
	Canonical     json.RawMessage `json:"canonical,omitempty"`
	TransactionID string          `json:"transaction_id"`
	WorkflowID    string          `json:"workflow_id"`
	Outcome       string          `json:"outcome"`
	Error         string          `json:"error,omitempty"`
	Note          string          `json:"note,omitempty"`
	DispatchedAt  *time.Time      `json:"dispatched_at,omitempty"`
	ProcessedAt   *time.Time      `json:"processed_at,omitempty"`
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
		 transaction_id, workflow_id, outcome, error, claimed_by, claimed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
		RETURNING id`,
		acct, e.Integration, e.Method, e.Path, e.RawQuery, e.RawBody, e.SourceIP, e.ReceivedAt, canonical,
		e.TransactionID, e.WorkflowID, e.Outcome, e.Error, s.Instance).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("insert postback log: %w", err)
	}
	return nil
}

// Undispatched is a log row waiting to be handed to its workflow.
type Undispatched struct {
	ID          int64
	AccountID   string
	Integration string
	WorkflowID  string
	ReceivedAt  time.Time
	Canonical   json.RawMessage
}

// ClaimUndispatched claims, in id order, accepted rows not yet handed to Temporal:
// this process's own rows not yet picked, and rows another process claimed more than
// staleAfter ago (it died, or was stopped before handing them over).
func (s *Store) ClaimUndispatched(ctx context.Context, staleAfter time.Duration, limit int) ([]Undispatched, error) {
	rows, err := s.Pool.Query(ctx, `UPDATE postback_log SET claimed_by = $1, claimed_at = now(), picked = true
		WHERE id IN (
			SELECT id FROM postback_log
			WHERE outcome = 'accepted' AND dispatched_at IS NULL
			  AND ((claimed_by = $1 AND NOT picked) OR claimed_at IS NULL
			       OR (claimed_by <> $1 AND claimed_at < now() - $2::interval))
			ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING id, coalesce(account_id, ''), integration, workflow_id, received_at, canonical`,
		s.Instance, staleAfter.String(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim undispatched postbacks: %w", err)
	}
	defer rows.Close()
	var out []Undispatched
	for rows.Next() {
		var u Undispatched
		if err := rows.Scan(&u.ID, &u.AccountID, &u.Integration, &u.WorkflowID, &u.ReceivedAt, &u.Canonical); err != nil {
			return nil, fmt.Errorf("scan undispatched: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim undispatched postbacks: %w", err)
	}
	// UPDATE ... RETURNING does not promise order; per-transaction order matters.
	sortByID(out)
	return out, nil
}

// ReleaseClaims hands this process's undispatched rows back, at shutdown, so the
// next process takes them at once instead of after the stale delay.
func (s *Store) ReleaseClaims(ctx context.Context) error {
	_, err := s.Pool.Exec(ctx, `UPDATE postback_log SET claimed_at = NULL, picked = false
		WHERE claimed_by = $1 AND outcome = 'accepted' AND dispatched_at IS NULL`, s.Instance)
	if err != nil {
		return fmt.Errorf("release dispatch claims: %w", err)
	}
	return nil
}

func sortByID(us []Undispatched) {
	sort.Slice(us, func(i, j int) bool { return us[i].ID < us[j].ID })
}

// MarkDispatched records that these rows were handed to their workflows.
func (s *Store) MarkDispatched(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE postback_log SET dispatched_at = now() WHERE id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("mark dispatched: %w", err)
	}
	return nil
}

// BacklogStats reports how many accepted rows wait for Temporal and the age of the oldest.
func (s *Store) BacklogStats(ctx context.Context) (count int64, oldest time.Duration, err error) {
	var age *float64
	err = s.Pool.QueryRow(ctx, `SELECT count(*), EXTRACT(EPOCH FROM now() - min(received_at))::float8
		FROM postback_log WHERE outcome = 'accepted' AND dispatched_at IS NULL`).Scan(&count, &age)
	if err != nil {
		return 0, 0, fmt.Errorf("backlog stats: %w", err)
	}
	if age != nil {
		oldest = time.Duration(*age * float64(time.Second))
	}
	return count, oldest, nil
}

// LogFilter narrows a postback log listing.
type LogFilter struct {
	Outcome       string
	TransactionID string
	Before        int64 // cursor: ids below this
	Limit         int
}

// ListLog lists an account's postback log, newest first.
func (s *Store) ListLog(ctx context.Context, accountID string, f LogFilter) ([]LogEntry, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, coalesce(account_id, ''), integration, method, path, raw_query, raw_body, source_ip,
			received_at, canonical, transaction_id, workflow_id, outcome, error, note, dispatched_at, processed_at
		FROM postback_log
		WHERE account_id = $1 AND ($2 = '' OR outcome = $2) AND ($3 = '' OR transaction_id = $3) AND ($4 = 0 OR id < $4)
		ORDER BY id DESC LIMIT $5`, accountID, f.Outcome, f.TransactionID, f.Before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list postback log: %w", err)
	}
	defer rows.Close()
	out := []LogEntry{}
	for rows.Next() {
		var e LogEntry
		var canonical []byte
		if err := rows.Scan(&e.ID, &e.AccountID, &e.Integration, &e.Method, &e.Path, &e.RawQuery, &e.RawBody, &e.SourceIP,
			&e.ReceivedAt, &canonical, &e.TransactionID, &e.WorkflowID, &e.Outcome, &e.Error, &e.Note, &e.DispatchedAt, &e.ProcessedAt); err != nil {
			return nil, fmt.Errorf("scan postback log: %w", err)
		}
		e.Canonical = canonical
		out = append(out, e)
	}
	return out, rows.Err()
}
