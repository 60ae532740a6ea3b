package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Erasure kinds: what identifies the person whose data is erased.
const (
	EraseEmail   = "email"
	EraseClickID = "click_id"
	EraseRefID   = "ref_id"
)

// eraseSkipTables hold the account's configuration, not people's data.
var eraseSkipTables = map[string]bool{
	"accounts": true, "api_keys": true, "integrations": true, "integration_tokens": true,
	"campaigns": true, "destinations": true, "schema_migrations": true, "installation": true,
}

// eraseKeepUnique are text columns that identify rows (primary or unique keys):
// a match is replaced by a digest instead of emptied, so the row stays distinct.
var eraseKeepUnique = map[string]bool{
	"clicks.id": true, "visitors.id": true, "conversions.tx_key": true, "deliveries.event_key": true,
}

// personalKeys are removed from JSON documents (a stored postback) that mention
// the person; a document that still mentions them after that is emptied.
var personalKeys = []string{"click_id", "ref_id", "email", "visitor_id", "page_id", "ip", "user_agent",
	"traits", "params", "passthrough", "items", "subs", "ga_client_id"}

// Erase removes or anonymises everything about one person in an account: their
// clicks are deleted (with the clicks of the same email or ref id), and every
// other text or JSON column of the account's data tables that holds the value
// (as sent, URL-encoded, or as the SHA-256 platforms receive), or one of those
// clicks' ids, is emptied (a key column gets a digest instead). Columns are
// found from the catalog, so a table added later is covered too. It returns the
// rows changed per table; all in one transaction.
func (s *Store) Erase(ctx context.Context, accountID, kind, value string) (map[string]int64, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, fmt.Errorf("erase: empty %s", kind)
	}
	counts := map[string]int64{}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		// 1. The person's clicks: their ids are identifiers to erase too.
		var clickWhere string
		switch kind {
		case EraseEmail:
			clickWhere = `lower(email) = lower($2)`
		case EraseClickID:
			clickWhere = `id = $2`
		case EraseRefID:
			clickWhere = `(ref_id = $2 OR external_id = $2)`
		default:
			return fmt.Errorf("erase: unknown kind %q", kind)
		}
		rows, err := tx.Query(ctx, `DELETE FROM clicks WHERE account_id = $1 AND `+clickWhere+` RETURNING id`, accountID, value)
		if err != nil {
			return fmt.Errorf("erase clicks: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("erase clicks: %w", err)
		}
		counts["clicks"] = int64(len(ids))

		patterns := erasePatterns(kind, value, ids)
		// 2. Every text and JSON column of the account's data tables.
		cols, err := eraseColumns(ctx, tx)
		if err != nil {
			return err
		}
		for table, cs := range cols {
			n, err := scrubTable(ctx, tx, table, cs, accountID, patterns)
			if err != nil {
				return err
			}
			counts[table] += n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

type eraseColumn struct {
	name     string
	jsonb    bool
	nullable bool
}

// eraseColumns lists, per table with an account_id, its text and JSON columns.
func eraseColumns(ctx context.Context, tx pgx.Tx) (map[string][]eraseColumn, error) {
	rows, err := tx.Query(ctx, `SELECT c.table_name, c.column_name, c.data_type = 'jsonb', c.is_nullable = 'YES'
		FROM information_schema.columns c
		WHERE c.table_schema = current_schema() AND c.data_type IN ('text', 'jsonb', 'character varying')
		  AND EXISTS (SELECT 1 FROM information_schema.columns a WHERE a.table_schema = c.table_schema
		              AND a.table_name = c.table_name AND a.column_name = 'account_id')
		  AND c.column_name <> 'account_id'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("erase: list columns: %w", err)
	}
	defer rows.Close()
	out := map[string][]eraseColumn{}
	for rows.Next() {
		var table string
		var c eraseColumn
		if err := rows.Scan(&table, &c.name, &c.jsonb, &c.nullable); err != nil {
			return nil, fmt.Errorf("erase: list columns: %w", err)
		}
		if !eraseSkipTables[table] {
			out[table] = append(out[table], c)
		}
	}
	return out, rows.Err()
}

// scrubTable rewrites, in one statement, every matching column of the
// account's rows that mention the person.
func scrubTable(ctx context.Context, tx pgx.Tx, table string, cols []eraseColumn, accountID string, patterns []string) (int64, error) {
	var sets, conds []string
	keys := "ARRAY['" + strings.Join(personalKeys, "','") + "']"
	for _, c := range cols {
		col := pgx.Identifier{c.name}.Sanitize()
		match := col + "::text ILIKE ANY($2)"
		var blank string
		switch {
		case c.jsonb:
			blank = fmt.Sprintf("CASE WHEN (%[1]s - %[2]s::text[])::text ILIKE ANY($2) THEN '{}'::jsonb ELSE %[1]s - %[2]s::text[] END", col, keys)
		case eraseKeepUnique[table+"."+c.name]:
			blank = "'erased-' || md5(" + col + ")"
		default:
			blank = "''"
		}
		sets = append(sets, fmt.Sprintf("%s = CASE WHEN %s THEN %s ELSE %s END", col, match, blank, col))
		conds = append(conds, match)
	}
	if len(sets) == 0 {
		return 0, nil
	}
	sql := "UPDATE " + pgx.Identifier{table}.Sanitize() + " SET " + strings.Join(sets, ", ") +
		" WHERE account_id = $1 AND (" + strings.Join(conds, " OR ") + ")"
	tag, err := tx.Exec(ctx, sql, accountID, patterns)
	if err != nil {
		return 0, fmt.Errorf("erase %s: %w", table, err)
	}
	return tag.RowsAffected(), nil
}

// erasePatterns are the ILIKE patterns of every form the identifiers may be
// stored in: as sent, URL-encoded (query strings, form bodies) and, for an
// email, the SHA-256 hex of its normalised form.
func erasePatterns(kind, value string, clickIDs []string) []string {
	vals := append([]string{value}, clickIDs...)
	var out []string
	seen := map[string]bool{}
	add := func(v string) {
		if v == "" || seen[v] {
			return
		}
		seen[v] = true
		out = append(out, "%"+likeEscape(v)+"%")
	}
	for _, v := range vals {
		add(v)
		add(url.QueryEscape(v))
		add(url.PathEscape(v))
	}
	if kind == EraseEmail {
		sum := sha256.Sum256([]byte(strings.ToLower(value)))
		add(hex.EncodeToString(sum[:]))
	}
	return out
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
