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
	// RetainVisitors is the step of the visitors table, dropped (migration
	// 021): a retention run recorded before that still takes it, and it
	// deletes nothing.
	RetainVisitors = "visitors"
	// RetainAuditLog deletes audit entries older than the audit retention.
	RetainAuditLog = "audit_log"
	// RetainSessions deletes expired console sessions (any age past expiry),
	// people's and keys'.
	RetainSessions = "user_sessions"
	// RetainConversionPersonal keeps the conversion (the account's record) and
	// removes its personal data: the stored postback's identity, traits and
	// parameters (personalKeys), the click id, subs, and the ids an
	// unattributed reason quotes. Never while a delivery of it is pending (it
	// reads the stored postback).
	RetainConversionPersonal = "conversion_personal"
)

// conversionHoldsPersonal is the predicate of the conversions_personal index
// (migration 012), written the same way so the planner uses it.
var conversionHoldsPersonal = `(click_id <> '' OR subs <> '{}'::jsonb OR postback ?| ` + personalKeysSQL + `)`

var purgeStatements = map[string]string{
	RetainConversionPersonal: `UPDATE conversions v SET postback = v.postback - ` + personalKeysSQL + `, click_id = '', subs = '{}'::jsonb,
			unattributed_reason = regexp_replace(v.unattributed_reason, 'for (click_id|ref_id|vid) [^;]*', 'for \1 (removed by retention)', 'g')
		WHERE v.id IN (SELECT c.id FROM conversions c WHERE c.updated_at < $1 AND ` + conversionHoldsPersonal + `
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.conversion_id = c.id AND d.status NOT IN ('delivered', 'failed', 'suppressed'))
			ORDER BY c.updated_at LIMIT $2)`,
	RetainPostbackLog: `DELETE FROM postback_log WHERE id IN (
		SELECT id FROM postback_log WHERE received_at < $1 AND (outcome <> 'accepted' OR processed_at IS NOT NULL)
		ORDER BY received_at LIMIT $2)`,
	RetainClicks: `DELETE FROM clicks WHERE id IN (
		SELECT id FROM clicks WHERE created_at < $1 ORDER BY created_at LIMIT $2)`,
	RetainDeliveries: `DELETE FROM deliveries WHERE id IN (
		SELECT id FROM deliveries WHERE created_at < $1 AND status IN ('delivered', 'failed', 'suppressed', 'skipped', 'capped', 'cap_rejected')
		ORDER BY created_at LIMIT $2)`,
	RetainAuditLog: `DELETE FROM audit_log WHERE id IN (
		SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)`,
	RetainSessions: `WITH u AS (DELETE FROM user_sessions WHERE id_hash IN (
			SELECT id_hash FROM user_sessions WHERE expires_at < $1 LIMIT $2) RETURNING 1),
		k AS (DELETE FROM key_sessions WHERE id_hash IN (
			SELECT id_hash FROM key_sessions WHERE expires_at < $1 LIMIT $2) RETURNING 1)
		SELECT 1 FROM u UNION ALL SELECT 1 FROM k`,
	RetainVisitors: "",
}

// PurgeBatch deletes up to limit rows of table older than before, and returns
// how many it deleted (fewer than limit: nothing older is left).
func (s *Store) PurgeBatch(ctx context.Context, table string, before time.Time, limit int) (int64, error) {
	stmt, ok := purgeStatements[table]
	if !ok {
		return 0, fmt.Errorf("purge: unknown table %q", table)
	}
	if stmt == "" {
		return 0, nil
	}
	tag, err := s.Pool.Exec(ctx, stmt, before, limit)
	if err != nil {
		return 0, fmt.Errorf("purge %s: %w", table, err)
	}
	return tag.RowsAffected(), nil
}
