package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convrelay/convrelay/internal/text"
)

// Waiting is a log row to hand to its transaction's workflow.
type Waiting struct {
	ID          int64
	AccountID   string
	Integration string
	WorkflowID  string
	ReceivedAt  time.Time
	Attempts    int
	// Routing fields from the canonical form, for the workflow's start attributes.
	Status        string
	TransactionID string
	EventName     string
	ClickID       string
	Value         string
	Currency      string
	TraceParent   string
}

// ClaimWaiting claims up to limit accepted rows not yet handed to Temporal, fairly
// across accounts: the oldest row of every account first, then each account's
// second, and so on, so one account's burst never queues another account's
// postbacks behind it. A row is claimable when nobody holds it (or this process
// holds it unpicked, as the intake leaves its own rows), when its holder's claim is
// older than staleAfter (that process died or lost it), when its backoff has
// passed, and when no earlier postback of its transaction is waiting out a
// backoff or held by a live claim (so a transaction's postbacks reach its
// workflow in the order they were accepted, however their retries interleave: an
// earlier row that is claimable now comes in this same claim, ahead of the later
// one). Rows come back in id order.
func (s *Store) ClaimWaiting(ctx context.Context, staleAfter time.Duration, limit int) ([]Waiting, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.Pool.Query(ctx, `UPDATE postback_log p SET claimed_by = $1, claimed_at = now(), picked = true
		FROM (
			SELECT id FROM (
				SELECT w.id, row_number() OVER (PARTITION BY a.id ORDER BY w.id) AS turn
				FROM accounts a CROSS JOIN LATERAL (
					SELECT id FROM postback_log
					WHERE account_id = a.id AND outcome = 'accepted' AND processed_at IS NULL AND dispatched_at IS NULL
					  AND (dispatch_after IS NULL OR dispatch_after <= now())
					  AND (claimed_at IS NULL OR (claimed_by = $1 AND NOT picked) OR claimed_at < now() - $2::interval)
					  AND NOT EXISTS (SELECT 1 FROM postback_log e
					      WHERE e.workflow_id = postback_log.workflow_id AND e.id < postback_log.id
					        AND e.outcome = 'accepted' AND e.processed_at IS NULL AND e.dispatched_at IS NULL
					        AND (e.dispatch_after > now()
					             OR (e.claimed_at >= now() - $2::interval AND (e.picked OR e.claimed_by <> $1))))
					ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) w
			) fair ORDER BY turn, id LIMIT $3
		) pick
		WHERE p.id = pick.id
		RETURNING p.id, p.account_id, p.integration, p.workflow_id, p.received_at, p.dispatch_attempts,
			coalesce(p.canonical->>'status', ''), coalesce(p.canonical->>'transaction_id', ''),
			coalesce(p.canonical->>'event_name', ''), coalesce(p.canonical->>'click_id', ''),
			coalesce(p.canonical->>'value', ''), coalesce(p.canonical->>'currency', ''), p.trace_parent`,
		s.Instance, staleAfter.String(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim waiting postbacks: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Waiting])
	if err != nil {
		return nil, fmt.Errorf("claim waiting postbacks: %w", err)
	}
	// UPDATE ... RETURNING does not promise order; per-transaction order matters.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// InFlight counts rows handed to Temporal within the last window and not yet
// applied: the dispatcher hands over more only while this is small, so a burst
// waits in PostgreSQL (where the hand-over is fair) rather than in Temporal's
// task queue (first come, first served).
func (s *Store) InFlight(ctx context.Context, window time.Duration) (int, error) {
	var n int
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM postback_log
		WHERE outcome = 'accepted' AND processed_at IS NULL AND dispatched_at IS NOT NULL
		  AND dispatched_at > now() - $1::interval`, window.String()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count postbacks in flight: %w", err)
	}
	return n, nil
}

// MarkDispatched records that these rows were handed to their workflows.
func (s *Store) MarkDispatched(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE postback_log SET dispatched_at = now(), dispatch_after = NULL
		WHERE id = ANY($1) AND outcome = 'accepted'`, ids); err != nil {
		return fmt.Errorf("mark dispatched: %w", err)
	}
	return nil
}

// Defer hands rows back after a passing hand-over failure: they are claimable
// again at after, by any process.
func (s *Store) Defer(ctx context.Context, ids []int64, after time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE postback_log SET claimed_at = NULL, picked = false, dispatch_after = $2,
			dispatch_attempts = dispatch_attempts + 1
		WHERE id = ANY($1) AND outcome = 'accepted' AND dispatched_at IS NULL`, ids, after); err != nil {
		return fmt.Errorf("defer hand-over: %w", err)
	}
	return nil
}

// ReleaseClaims hands this process's rows not yet handed over back, at shutdown, so
// the next process takes them at once instead of after the stale delay.
func (s *Store) ReleaseClaims(ctx context.Context) error {
	_, err := s.Pool.Exec(ctx, `UPDATE postback_log SET claimed_at = NULL, picked = false
		WHERE claimed_by = $1 AND outcome = 'accepted' AND processed_at IS NULL AND dispatched_at IS NULL`, s.Instance)
	if err != nil {
		return fmt.Errorf("release dispatch claims: %w", err)
	}
	return nil
}

// Failure classes of a postback that was accepted but can never be applied: the
// metric label and the log's failed_reason (bounded, unlike the message).
const (
	FailedRefused     = "refused_by_temporal" // Temporal refused the hand-over (invalid argument)
	FailedInvalidData = "invalid_data"        // PostgreSQL refused the values
	FailedMissing     = "postback_missing"    // the log row or its content is gone
	FailedInternal    = "internal"            // anything else no retry fixes
)

// MarkFailed records that an accepted postback can never be applied, with a
// bounded class and the reason; it stays visible and can be re-driven.
func (s *Store) MarkFailed(ctx context.Context, id int64, class, reason string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE postback_log SET outcome = 'failed', failed_reason = $2, error = $3,
			claimed_at = NULL, picked = false
		WHERE id = $1 AND outcome = 'accepted' AND processed_at IS NULL`, id, class, text.Truncate(text.Escape(reason), 500))
	if err != nil {
		return fmt.Errorf("mark postback %d failed: %w", id, err)
	}
	return nil
}

// RetryFailed puts a failed postback back in the hand-over queue (after the
// operator fixed its cause). ErrNotFound: no such postback in the account;
// ErrConflict: it is not failed.
func (s *Store) RetryFailed(ctx context.Context, accountID string, id int64) (LogEntry, error) {
	var outcome string
	err := s.Pool.QueryRow(ctx, `SELECT outcome FROM postback_log WHERE id = $1 AND account_id = $2`, id, accountID).Scan(&outcome)
	if errors.Is(err, pgx.ErrNoRows) {
		return LogEntry{}, ErrNotFound
	}
	if err != nil {
		return LogEntry{}, fmt.Errorf("look up postback %d: %w", id, err)
	}
	tag, err := s.Pool.Exec(ctx, `UPDATE postback_log SET outcome = 'accepted', failed_reason = '', error = '',
			dispatched_at = NULL, dispatch_after = NULL, dispatch_attempts = 0, claimed_by = $3, claimed_at = now(), picked = false
		WHERE id = $1 AND account_id = $2 AND outcome = 'failed'`, id, accountID, s.Instance)
	if err != nil {
		return LogEntry{}, fmt.Errorf("retry postback %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return LogEntry{}, ErrConflict
	}
	return s.GetLog(ctx, accountID, id)
}

// Reconcile hands over again rows handed to Temporal more than olderThan ago and
// still not applied (a lost signal, a workflow that was terminated): the workflow
// and the store drop a repeat, so handing over twice is safe. It returns how many.
func (s *Store) Reconcile(ctx context.Context, olderThan time.Duration) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE postback_log SET dispatched_at = NULL, claimed_at = NULL, picked = false
		WHERE outcome = 'accepted' AND processed_at IS NULL AND dispatched_at IS NOT NULL
		  AND dispatched_at < now() - $1::interval`, olderThan.String())
	if err != nil {
		return 0, fmt.Errorf("reconcile postbacks: %w", err)
	}
	return tag.RowsAffected(), nil
}

// UnappliedStats reports how many accepted postbacks are not applied yet (waiting
// for the hand-over or in a workflow) and the age of the oldest.
func (s *Store) UnappliedStats(ctx context.Context) (count int64, oldest time.Duration, err error) {
	return s.countAndOldest(ctx, "unapplied postbacks", "postback_log", "received_at", `outcome = 'accepted' AND processed_at IS NULL`)
}

// BacklogStats reports how many accepted rows wait for the hand-over to Temporal
// and the age of the oldest.
func (s *Store) BacklogStats(ctx context.Context) (count int64, oldest time.Duration, err error) {
	return s.countAndOldest(ctx, "backlog stats", "postback_log", "received_at",
		`outcome = 'accepted' AND processed_at IS NULL AND dispatched_at IS NULL`)
}

// countAndOldest counts the rows of table matching where and the age of the
// oldest by its time column (table, column and predicate are constants, never
// input).
func (s *Store) countAndOldest(ctx context.Context, what, table, timeColumn, where string) (count int64, oldest time.Duration, err error) {
	var age *float64
	err = s.Pool.QueryRow(ctx, `SELECT count(*), EXTRACT(EPOCH FROM now() - min(`+timeColumn+`))::float8
		FROM `+table+` WHERE `+where).Scan(&count, &age)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", what, err)
	}
	if age != nil {
		oldest = time.Duration(*age * float64(time.Second))
	}
	return count, oldest, nil
}

// FailedCounts counts failed postbacks by class (for /metrics).
func (s *Store) FailedCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT failed_reason, count(*) FROM postback_log WHERE outcome = 'failed' GROUP BY failed_reason`)
	if err != nil {
		return nil, fmt.Errorf("count failed postbacks: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var class string
		var n int64
		if err := rows.Scan(&class, &n); err != nil {
			return nil, fmt.Errorf("count failed postbacks: %w", err)
		}
		out[class] = n
	}
	return out, rows.Err()
}

// PostbackContent is what a workflow loads of a postback it was handed by id.
type PostbackContent struct {
	AccountID   string
	Integration string
	WorkflowID  string
	Canonical   []byte
}

// LoadPostback reads an accepted postback's canonical form. ErrNotFound when the
// row or its content is gone (erased).
func (s *Store) LoadPostback(ctx context.Context, id int64) (PostbackContent, error) {
	var c PostbackContent
	err := s.Pool.QueryRow(ctx, `SELECT coalesce(account_id, ''), integration, workflow_id, canonical FROM postback_log WHERE id = $1`, id).
		Scan(&c.AccountID, &c.Integration, &c.WorkflowID, &c.Canonical)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("load postback %d: %w", id, err)
	}
	if len(c.Canonical) == 0 {
		return c, ErrNotFound
	}
	return c, nil
}
