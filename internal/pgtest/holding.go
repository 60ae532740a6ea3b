package pgtest

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ColumnsHolding names (table.column) the text and JSON columns that hold any of
// the values anywhere, in any case: in the account's rows of every table with
// an account_id, and in every row of the tables without one. Erasure tests ask
// it where a person's data is left.
func ColumnsHolding(t testing.TB, pool *pgxpool.Pool, accountID string, values []string) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT c.table_name, c.column_name,
			EXISTS (SELECT 1 FROM information_schema.columns a
				WHERE a.table_schema = c.table_schema AND a.table_name = c.table_name AND a.column_name = 'account_id')
		FROM information_schema.columns c
		WHERE c.table_schema = current_schema() AND c.data_type IN ('text', 'jsonb', 'character varying', 'json')
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	type column struct {
		Table, Name string
		Scoped      bool
	}
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[column])
	if err != nil {
		t.Fatal(err)
	}
	patterns := make([]string, len(values))
	for i, v := range values {
		patterns[i] = "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(v) + "%"
	}
	var hits []string
	for _, c := range cols {
		sql := "SELECT count(*) FROM " + pgx.Identifier{c.Table}.Sanitize() + " WHERE " + pgx.Identifier{c.Name}.Sanitize() + "::text ILIKE ANY($1)"
		args := []any{patterns}
		if c.Scoped {
			sql += " AND account_id = $2"
			args = append(args, accountID)
		}
		var n int
		if err := pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if n > 0 {
			t.Logf("%s.%s: %d rows", c.Table, c.Name, n)
			hits = append(hits, c.Table+"."+c.Name)
		}
	}
	return hits
}
