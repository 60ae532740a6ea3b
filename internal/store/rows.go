package store

import (
	"github.com/jackc/pgx/v5"
)

// collectRows maps every row of a query onto a T by column name
// (pgx.RowToStructByName): a field takes the column of its name, case and
// underscores ignored (TxKey: tx_key), or of its `db` tag; `db:"-"` marks a
// field no column fills. A column without a field, or a field without a
// column, is an error, so a query and its row type cannot drift apart.
func collectRows[T any](rows pgx.Rows, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[T])
}

// collectOneRow is collectRows for a query of one row: pgx.ErrNoRows when
// there is none, as QueryRow's Scan.
func collectOneRow[T any](rows pgx.Rows, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	return pgx.CollectOneRow(rows, pgx.RowToStructByName[T])
}

// collectWith is collectRows for a row type with a scan function of its own
// (one that by-name mapping cannot fill, such as a User's unexported password
// hash): collectWith(scanUser)(s.Pool.Query(...)).
func collectWith[T any](scan func(row interface{ Scan(...any) error }) (T, error)) func(pgx.Rows, error) ([]T, error) {
	return func(rows pgx.Rows, err error) ([]T, error) {
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	}
}
