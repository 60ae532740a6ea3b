package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/destinations"
)

// Campaign groups clicks of one offer from one traffic source.
type Campaign struct {
	ID        int64  `json:"id"`
	AccountID string `json:"account_id"`
	// Slug is the campaign's public id in its click URL (/c/{slug}): random,
	// so campaigns cannot be walked; the numeric id is for the admin API.
	Slug string `json:"slug"`
	CampaignSettings
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CampaignSettings are a campaign's editable fields, written once: what a
// request sets (admin.CampaignRequest), what the row keeps, and what the API's
// answer and the audit log show, under the same JSON names.
type CampaignSettings struct {
	Name                  string           `json:"name"`
	OfferURL              string           `json:"offer_url"`
	DefaultPayout         *decimal.Decimal `json:"default_payout"`
	TrafficSource         string           `json:"traffic_source"`
	TrafficSourcePostback string           `json:"traffic_source_postback"`
	AttributionWindowDays int              `json:"attribution_window_days"`
	// TrafficSourceFireOn is the life events the traffic-source postback
	// takes (0: a postback destination's default, the approval).
	TrafficSourceFireOn destinations.FireOn `json:"traffic_source_fire_on"`
	// Payout is what the traffic source is told it earns ({payout}); a
	// request's zero rule is the default (destinations.PayoutRule.WithDefaults).
	Payout destinations.PayoutRule `json:"payout"`
	// Caps bound what the traffic source is sent; CapAction says what
	// happens past one (hold or reject).
	Caps      []Cap  `json:"caps"`
	CapAction string `json:"cap_action"`
	// DuplicateMode overrides its integrations' duplicate mode for the
	// conversions attributed to it ("": the integration's).
	DuplicateMode string `json:"duplicate_mode"`
}

// Cap is one limit on the traffic-source postbacks of a campaign: for one
// event name ("" every event), per day in the account's time zone and in
// total (nil: no limit).
type Cap struct {
	Event string `json:"event"`
	Daily *int   `json:"daily"`
	Total *int   `json:"total"`
}

// Cap actions: past a cap, the traffic source is not sent the conversion;
// hold keeps the delivery (status capped) for an operator to release, reject
// closes it for good (status cap_rejected).
const (
	CapHold   = "hold"
	CapReject = "reject"
)

const campaignColumns = `id, account_id, name, offer_url, default_payout, traffic_source, traffic_source_postback,
	attribution_window_days, traffic_source_fire_on, payout_rule, payout_amount, payout_currency, caps, cap_action,
	duplicate_mode, created_at, updated_at, slug`

func scanCampaign(row interface{ Scan(...any) error }) (Campaign, error) {
	var c Campaign
	var fireOn string
	var amount *decimal.Decimal
	err := row.Scan(&c.ID, &c.AccountID, &c.Name, &c.OfferURL, &c.DefaultPayout, &c.TrafficSource, &c.TrafficSourcePostback,
		&c.AttributionWindowDays, &fireOn, &c.Payout.Rule, &amount, &c.Payout.Currency, &c.Caps, &c.CapAction,
		&c.DuplicateMode, &c.CreatedAt, &c.UpdatedAt, &c.Slug)
	if err != nil {
		return c, err
	}
	if amount != nil {
		c.Payout.Amount = *amount
	}
	if c.Caps == nil {
		c.Caps = []Cap{}
	}
	c.TrafficSourceFireOn, err = parseFireOn(fireOn)
	return c, err
}

// withDefaults fills what a campaign left unset.
func (c Campaign) withDefaults() Campaign {
	if c.AttributionWindowDays <= 0 {
		c.AttributionWindowDays = 30
	}
	if c.TrafficSourceFireOn == 0 {
		c.TrafficSourceFireOn = destinations.DefaultFireOn(destinations.TypePostback)
	}
	c.Payout = c.Payout.WithDefaults()
	if c.Caps == nil {
		c.Caps = []Cap{}
	}
	if c.CapAction == "" {
		c.CapAction = CapHold
	}
	return c
}

// payoutAmount is the stored amount: NULL for the revenue rule.
func (c Campaign) payoutAmount() any {
	if c.Payout.Rule == destinations.PayoutRevenue {
		return nil
	}
	return c.Payout.Amount
}

// CreateCampaign adds a campaign; a traffic-source postback URL becomes its own
// postback destination so it is delivered, retried and logged like any other.
func (s *Store) CreateCampaign(ctx context.Context, c Campaign) (Campaign, error) {
	c = c.withDefaults()
	var out Campaign
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = scanCampaign(tx.QueryRow(ctx, `INSERT INTO campaigns (account_id, name, offer_url, default_payout, traffic_source,
				traffic_source_postback, attribution_window_days, traffic_source_fire_on, payout_rule, payout_amount, payout_currency,
				caps, cap_action, duplicate_mode)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING `+campaignColumns,
			c.AccountID, c.Name, c.OfferURL, c.DefaultPayout, c.TrafficSource, c.TrafficSourcePostback, c.AttributionWindowDays,
			c.TrafficSourceFireOn.String(), c.Payout.Rule, c.payoutAmount(), c.Payout.Currency, c.Caps, c.CapAction, c.DuplicateMode))
		if err != nil {
			return err
		}
		return syncTrafficSourceDestination(ctx, tx, out)
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("create campaign: %w", err)
	}
	return out, nil
}

// UpdateCampaign replaces a campaign's settings.
func (s *Store) UpdateCampaign(ctx context.Context, c Campaign) (Campaign, error) {
	c = c.withDefaults()
	var out Campaign
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = scanCampaign(tx.QueryRow(ctx, `UPDATE campaigns SET name = $3, offer_url = $4, default_payout = $5,
				traffic_source = $6, traffic_source_postback = $7, attribution_window_days = $8, traffic_source_fire_on = $9,
				payout_rule = $10, payout_amount = $11, payout_currency = $12, caps = $13, cap_action = $14, duplicate_mode = $15,
				updated_at = now()
			WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING `+campaignColumns,
			c.AccountID, c.ID, c.Name, c.OfferURL, c.DefaultPayout, c.TrafficSource, c.TrafficSourcePostback, c.AttributionWindowDays,
			c.TrafficSourceFireOn.String(), c.Payout.Rule, c.payoutAmount(), c.Payout.Currency, c.Caps, c.CapAction, c.DuplicateMode))
		if err != nil {
			return notFound(err)
		}
		return syncTrafficSourceDestination(ctx, tx, out)
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("update campaign %d: %w", c.ID, err)
	}
	return out, nil
}

// syncTrafficSourceDestination keeps one postback destination per campaign that
// mirrors its traffic_source_postback (disabled when the URL is cleared), the
// life events it takes and its payout rule. The campaign is where these are
// set: an edit of the campaign overwrites an edit of its destination.
func syncTrafficSourceDestination(ctx context.Context, tx pgx.Tx, c Campaign) error {
	cfg := map[string]string{"url": c.TrafficSourcePostback, "method": "GET", "managed_by": "campaign"}
	for k, v := range c.Payout.Config() {
		cfg[k] = v
	}
	name := "traffic source " + c.TrafficSource
	if c.TrafficSource == "" {
		name = "traffic source of campaign " + c.Name
	}
	tag, err := tx.Exec(ctx, `UPDATE destinations SET config = $3, name = $4, enabled = ($5 <> ''), fire_on = $6, updated_at = now()
		WHERE account_id = $1 AND campaign_id = $2 AND config->>'managed_by' = 'campaign' AND deleted_at IS NULL`,
		c.AccountID, c.ID, cfg, name, c.TrafficSourcePostback, c.TrafficSourceFireOn.String())
	if err != nil {
		return fmt.Errorf("sync traffic source destination: %w", err)
	}
	if tag.RowsAffected() > 0 || c.TrafficSourcePostback == "" {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO destinations (account_id, type, name, config, fire_on, campaign_id, enabled)
		VALUES ($1, 'postback', $2, $3, $4, $5, true)`, c.AccountID, name, cfg, c.TrafficSourceFireOn.String(), c.ID); err != nil {
		return fmt.Errorf("create traffic source destination: %w", err)
	}
	return nil
}

// GetCampaign loads one live campaign of an account.
func (s *Store) GetCampaign(ctx context.Context, accountID string, id int64) (Campaign, error) {
	c, err := scanCampaign(s.Pool.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns
		WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL`, accountID, id))
	if err != nil {
		return Campaign{}, fmt.Errorf("get campaign %d: %w", id, notFound(err))
	}
	return c, nil
}

// ListCampaigns lists an account's live campaigns.
func (s *Store) ListCampaigns(ctx context.Context, accountID string) ([]Campaign, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE account_id = $1 AND deleted_at IS NULL ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	defer rows.Close()
	out := []Campaign{}
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("scan campaign: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteCampaign soft-deletes a campaign and its managed traffic-source destination.
func (s *Store) DeleteCampaign(ctx context.Context, accountID string, id int64) error {
	return s.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE campaigns SET deleted_at = now() WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL`, accountID, id)
		if err != nil {
			return fmt.Errorf("delete campaign: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("delete campaign %d: %w", id, ErrNotFound)
		}
		_, err = tx.Exec(ctx, `UPDATE destinations SET deleted_at = now() WHERE account_id = $1 AND campaign_id = $2
			AND config->>'managed_by' = 'campaign'`, accountID, id)
		return err
	})
}
