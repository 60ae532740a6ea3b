package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ImportedPostback is one CSV import row, parsed, ready for the postback log. Key
// is deterministic for the row's content, so the same row uploaded again is found.
type ImportedPostback struct {
	Entry LogEntry
	Key   string
}

// InsertImported adds accepted postbacks of an import to the log in one round
// trip, claimed by this process like InsertLog's, so the dispatcher hands them to
// their workflows. A row whose key the account's log already holds is skipped:
// its id comes back 0.
func (s *Store) InsertImported(ctx context.Context, rows []ImportedPostback) ([]int64, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	batch := &pgx.Batch{}
	for _, r := range rows {
		e := r.Entry
		var canonical any
		if len(e.Canonical) > 0 {
			canonical = e.Canonical
		}
		batch.Queue(`INSERT INTO postback_log
			(account_id, integration, method, path, raw_query, raw_body, source_ip, received_at, canonical,
			 transaction_id, workflow_id, outcome, error, claimed_by, claimed_at, import_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now(), $15)
			ON CONFLICT (account_id, import_key) WHERE import_key IS NOT NULL DO NOTHING
			RETURNING id`,
			e.AccountID, e.Integration, e.Method, e.Path, e.RawQuery, e.RawBody, e.SourceIP, e.ReceivedAt, canonical,
			e.TransactionID, e.WorkflowID, e.Outcome, e.Error, s.Instance, r.Key)
	}
	res := s.Pool.SendBatch(ctx, batch)
	defer res.Close()
	ids := make([]int64, len(rows))
	for i := range rows {
		err := res.QueryRow().Scan(&ids[i])
		if errors.Is(err, pgx.ErrNoRows) {
			continue // already imported
		}
		if err != nil {
			return nil, fmt.Errorf("insert imported postback: %w", err)
		}
	}
	if err := res.Close(); err != nil {
		return nil, fmt.Errorf("insert imported postbacks: %w", err)
	}
	return ids, nil
}
