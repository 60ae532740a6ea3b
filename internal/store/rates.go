package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// DayRates are one day's reference rates: one unit of Base buys Rates[quote].
type DayRates struct {
	Date  time.Time
	Base  string
	Rates map[string]decimal.Decimal
}

// SaveRates stores reference rates; a day already stored is replaced (a source may
// correct a figure).
func (s *Store) SaveRates(ctx context.Context, days []DayRates) (int, error) {
	batch := &pgx.Batch{}
	n := 0
	for _, d := range days {
		for quote, r := range d.Rates {
			batch.Queue(`INSERT INTO fx_rates (rate_date, base, quote, rate) VALUES ($1, $2, $3, $4)
				ON CONFLICT (base, quote, rate_date) DO UPDATE SET rate = EXCLUDED.rate, fetched_at = now()`,
				d.Date.Format(time.DateOnly), d.Base, quote, r)
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	if err := s.Pool.SendBatch(ctx, batch).Close(); err != nil {
		return 0, fmt.Errorf("save rates: %w", err)
	}
	return n, nil
}

// Rate is the stored rate from one currency to another on a day (the latest on or
// before it); ok is false when it is not known.
func (s *Store) Rate(ctx context.Context, from, to string, on time.Time) (decimal.Decimal, time.Time, bool, error) {
	var r decimal.Decimal
	var d time.Time
	err := s.Pool.QueryRow(ctx, `SELECT rate, rate_date FROM fx_rate($1, $2, $3)`, from, to, on.Format(time.DateOnly)).Scan(&r, &d)
	if errors.Is(err, pgx.ErrNoRows) {
		return decimal.Decimal{}, time.Time{}, false, nil
	}
	if err != nil {
		return decimal.Decimal{}, time.Time{}, false, fmt.Errorf("rate %s/%s: %w", from, to, err)
	}
	return r, d, true, nil
}

// convertSQL sets the account-currency value of the conversions the condition
// selects (alias v), with the rate of the conversion's UTC date (the latest
// published on or before it, crossed through EUR). innerJoin true leaves
// conversions whose rate is unknown untouched; false clears their value.
func convertSQL(where string, innerJoin bool) string {
	join := "LEFT JOIN LATERAL"
	if innerJoin {
		join = "JOIN LATERAL"
	}
	return `WITH c AS (
			SELECT v.id, a.currency AS acur, fx.rate AS fx_rate, fx.rate_date AS fx_date, round(v.value * fx.rate, 6) AS converted
			FROM conversions v JOIN accounts a ON a.id = v.account_id
			` + join + ` fx_rate(v.currency, a.currency, (v.converted_at AT TIME ZONE 'UTC')::date) fx ON true
			WHERE ` + where + `)
		UPDATE conversions v SET account_currency = c.acur, rate = c.fx_rate, rate_date = c.fx_date, value_account = c.converted
		FROM c WHERE v.id = c.id`
}

// convertBatch bounds how many conversions one ConvertPending statement updates.
const convertBatch = 2000

// ConvertPending converts the conversions recorded before their rate was known,
// for one account or (accountID "") all, in batches, and returns how many it
// converted. Those whose rate is still unknown stay pending.
func (s *Store) ConvertPending(ctx context.Context, accountID string) (int64, error) {
	var total int64
	var cursor int64
	for {
		var last *int64
		err := s.Pool.QueryRow(ctx, `SELECT max(id) FROM (SELECT id FROM conversions
			WHERE value_account IS NULL AND id > $1 AND ($2 = '' OR account_id = $2) ORDER BY id LIMIT $3) b`,
			cursor, accountID, convertBatch).Scan(&last)
		if err != nil {
			return total, fmt.Errorf("convert pending: %w", err)
		}
		if last == nil {
			return total, nil
		}
		tag, err := s.Pool.Exec(ctx, convertSQL(`v.value_account IS NULL AND v.id > $1 AND v.id <= $2 AND ($3 = '' OR v.account_id = $3)`, true),
			cursor, *last, accountID)
		if err != nil {
			return total, fmt.Errorf("convert pending: %w", err)
		}
		total += tag.RowsAffected()
		cursor = *last
	}
}

// UnconvertedCount is how many conversions (of an account, or all) still wait for a rate.
func (s *Store) UnconvertedCount(ctx context.Context, accountID string) (int64, error) {
	var n int64
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM conversions WHERE value_account IS NULL AND ($1 = '' OR account_id = $1)`, accountID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count unconverted: %w", err)
	}
	return n, nil
}
