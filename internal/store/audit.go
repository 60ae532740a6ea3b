package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// AuditEntry is one change made through the admin layer.
type AuditEntry struct {
	ID        int64           `json:"id"`
	AccountID string          `json:"account_id"`
	At        time.Time       `json:"at"`
	Actor     string          `json:"actor"`
	Role      string          `json:"role"`
	Action    string          `json:"action"`
	Target    string          `json:"target"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
}

// AddAudit records one change; before and after are already masked.
func (s *Store) AddAudit(ctx context.Context, e AuditEntry) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO audit_log (account_id, actor, role, action, target, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.AccountID, e.Actor, e.Role, e.Action, e.Target, nullJSON(e.Before), nullJSON(e.After))
	if err != nil {
		return fmt.Errorf("add audit entry: %w", err)
	}
	return nil
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

// AuditFilter narrows an audit listing: by actor, by action (prefix: "destination."
// matches every destination change), by target, by time, and a cursor.
type AuditFilter struct {
	Actor  string
	Action string
	Target string
	From   time.Time // zero: no bound
	To     time.Time // zero: no bound (exclusive)
	Before int64
	Limit  int
}

// ListAudit lists an account's audit entries, newest first.
func (s *Store) ListAudit(ctx context.Context, accountID string, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, account_id, at, actor, role, action, target, before, after FROM audit_log
		WHERE account_id = $1 AND ($2 = '' OR actor = $2) AND ($3 = '' OR action = $3 OR action LIKE $3 || '%')
		  AND ($4 = '' OR target = $4) AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
		  AND ($7 = 0 OR id < $7)
		ORDER BY id DESC LIMIT $8`, accountID, f.Actor, f.Action, f.Target, optTime(f.From), optTime(f.To), f.Before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var before, after []byte
		if err := rows.Scan(&e.ID, &e.AccountID, &e.At, &e.Actor, &e.Role, &e.Action, &e.Target, &before, &after); err != nil {
			return nil, fmt.Errorf("scan audit entry: %w", err)
		}
		e.Before, e.After = before, after
		out = append(out, e)
	}
	return out, rows.Err()
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// orEmpty passes a nil list to PostgreSQL as an empty array.
func orEmpty(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
