package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// Cost is a campaign's cost for one period (a local day or hour), as posted,
// with its value in the account's currency and how many clicks it was spread over.
type Cost struct {
	AccountID       string          `json:"account_id"`
	CampaignID      int64           `json:"campaign_id"`
	Start           time.Time       `json:"period_start"`
	End             time.Time       `json:"period_end"`
	Amount          decimal.Decimal `json:"cost"`
	Currency        string          `json:"currency"`
	AmountAccount   decimal.Decimal `json:"cost_account"`
	AccountCurrency string          `json:"account_currency"`
	Rate            decimal.Decimal `json:"rate"`
	RateDate        time.Time       `json:"rate_date"`
	Clicks          int64           `json:"clicks"`
	UpdatedAt       time.Time       `json:"updated_at"`
}

// ErrCostOverlap refuses a campaign cost whose period overlaps another period's
// of the same campaign (a day where hours have costs, or an hour of a day that
// has one): one posted cost decides a click's cost.
var ErrCostOverlap = errors.New("cost period overlaps another")

// costSpread sets the cost of the campaign's clicks in [$3, $4) to their share of
// $5: each the amount divided by the clicks, cut at 6 places, the first click
// (oldest) taking what the cut left, so they add up to $5 exactly. The click
// counts' triggers carry the change to reports.
const costSpread = `WITH k AS (
		SELECT id, row_number() OVER (ORDER BY created_at, id) AS i, count(*) OVER () AS n
		FROM clicks WHERE account_id = $1 AND campaign_id = $2 AND created_at >= $3 AND created_at < $4
	)
	UPDATE clicks c SET cost = CASE WHEN k.i = 1 THEN $5::numeric - trunc($5::numeric / k.n, 6) * (k.n - 1)
		ELSE trunc($5::numeric / k.n, 6) END
	FROM k WHERE c.id = k.id AND c.cost IS DISTINCT FROM
		(CASE WHEN k.i = 1 THEN $5::numeric - trunc($5::numeric / k.n, 6) * (k.n - 1) ELSE trunc($5::numeric / k.n, 6) END)`

// SetCost records a campaign's cost for c's period, replacing one posted for
// the same period, converts it into the account's currency at the rate of the
// period's start (UTC date, the latest rate on or before it, as conversions are
// converted) and spreads it over the campaign's clicks of the period. It returns
// the cost stored and the one it replaced (nil: none). A currency without a
// known rate is ErrNoRate; a period overlapping another is ErrCostOverlap; a
// campaign not of the account is ErrNotFound.
func (s *Store) SetCost(ctx context.Context, c Cost) (Cost, *Cost, error) {
	var before *Cost
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var acur string
		err := tx.QueryRow(ctx, `SELECT a.currency FROM campaigns cp JOIN accounts a ON a.id = cp.account_id
			WHERE cp.id = $1 AND cp.account_id = $2 AND cp.deleted_at IS NULL`, c.CampaignID, c.AccountID).Scan(&acur)
		if err != nil {
			return notFound(err)
		}
		// One writer per campaign at a time: overlap checks and spreads do not race.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, costLock, fmt.Sprint(c.CampaignID)); err != nil {
			return err
		}
		var overlaps bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM costs WHERE account_id = $1 AND campaign_id = $2
			AND period_start < $4 AND period_end > $3 AND NOT (period_start = $3 AND period_end = $4))`,
			c.AccountID, c.CampaignID, c.Start, c.End).Scan(&overlaps); err != nil {
			return err
		}
		if overlaps {
			return ErrCostOverlap
		}
		old, err := scanCost(tx.QueryRow(ctx, `SELECT `+costColumns+` FROM costs
			WHERE account_id = $1 AND campaign_id = $2 AND period_start = $3`, c.AccountID, c.CampaignID, c.Start))
		switch {
		case err == nil:
			before = &old
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		c.AccountCurrency = acur
		err = tx.QueryRow(ctx, `SELECT round($1::numeric * rate, 6), rate, rate_date FROM fx_rate($2, $3, $4)`,
			c.Amount, c.Currency, acur, c.Start.UTC().Format(time.DateOnly)).Scan(&c.AmountAccount, &c.Rate, &c.RateDate)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoRate
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, costSpread, c.AccountID, c.CampaignID, c.Start, c.End, c.AmountAccount); err != nil {
			return fmt.Errorf("spread: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM clicks WHERE account_id = $1 AND campaign_id = $2
			AND created_at >= $3 AND created_at < $4`, c.AccountID, c.CampaignID, c.Start, c.End).Scan(&c.Clicks); err != nil {
			return err
		}
		c, err = scanCost(tx.QueryRow(ctx, `INSERT INTO costs (account_id, campaign_id, period_start, period_end, amount, currency,
				amount_account, account_currency, rate, rate_date, clicks)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (account_id, campaign_id, period_start) DO UPDATE SET amount = EXCLUDED.amount,
				currency = EXCLUDED.currency, amount_account = EXCLUDED.amount_account, rate = EXCLUDED.rate,
				rate_date = EXCLUDED.rate_date, clicks = EXCLUDED.clicks, updated_at = now()
			RETURNING `+costColumns, c.AccountID, c.CampaignID, c.Start, c.End, c.Amount, c.Currency,
			c.AmountAccount, acur, c.Rate, c.RateDate, c.Clicks))
		return err
	})
	if err != nil {
		return Cost{}, nil, fmt.Errorf("set cost of campaign %d from %s: %w", c.CampaignID, c.Start.UTC().Format(time.RFC3339), err)
	}
	return c, before, nil
}

// ErrNoRate: no exchange rate between the two currencies is known.
var ErrNoRate = errors.New("no exchange rate known")

// costLock keys the advisory lock of one campaign's cost writes.
const costLock = 7261_0018

const costColumns = `account_id, campaign_id, period_start, period_end, amount, currency, amount_account,
	account_currency, rate, rate_date, clicks, updated_at`

func scanCost(row pgx.Row) (Cost, error) {
	var c Cost
	err := row.Scan(&c.AccountID, &c.CampaignID, &c.Start, &c.End, &c.Amount, &c.Currency, &c.AmountAccount,
		&c.AccountCurrency, &c.Rate, &c.RateDate, &c.Clicks, &c.UpdatedAt)
	return c, err
}
