package store

import (
	"context"
	"fmt"
	"time"
)

// Retention tables: what the retention job deletes, oldest first, one small
// batch per statement so no lock is held for long. Rows still in use are never
// taken: a postback accepted and not yet applied, a delivery still pending.
const (
	RetainPostbackLog = "postback_log"
	RetainClicks      = "clicks"
	RetainDeliveries  = "deliveries"
	RetainVisitors    = "visitors"
)

var purgeStatements = map[string]string{
	RetainPostbackLog: `DELETE FROM postback_log WHERE id IN (
		SELECT id FROM postback_log WHERE received_at < $1 AND (outcome <> 'accepted' OR processed_at IS NOT NULL)
		ORDER BY received_at LIMIT $2)`,
	RetainClicks: `DELETE FROM clicks WHERE id IN (
		SELECT id FROM clicks WHERE created_at < $1 ORDER BY created_at LIMIT $2)`,
	RetainDeliveries: `DELETE FROM deliveries WHERE id IN (
		SELECT id FROM deliveries WHERE created_at < $1 AND status IN ('delivered', 'failed', 'suppressed', 'skipped')
		ORDER BY created_at LIMIT $2)`,
	RetainVisitors: `DELETE FROM visitors WHERE (account_id, id) IN (
		SELECT account_id, id FROM visitors WHERE last_seen_at < $1 LIMIT $2)`,
}

// PurgeBatch deletes up to limit rows of table older than before, and returns
// how many it deleted (fewer than limit: nothing older is left).
func (s *Store) PurgeBatch(ctx context.Context, table string, before time.Time, limit int) (int64, error) {
	stmt, ok := purgeStatements[table]
	if !ok {
		return 0, fmt.Errorf("purge: unknown table %q", table)
	}
	tag, err := s.Pool.Exec(ctx, stmt, before, limit)
	if err != nil {
		return 0, fmt.Errorf("purge %s: %w", table, err)
	}
	return tag.RowsAffected(), nil
}
