package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// Click is one recorded visit (a FunnelFlux hit): what a conversion is attributed to.
type Click struct {
	ID         string            `json:"click_id"`
	AccountID  string            `json:"account_id"`
	CampaignID *int64            `json:"campaign_id"`
	VisitorID  string            `json:"visitor_id"`
	PageID     string            `json:"page_id"`
	ExternalID string            `json:"external_id"`
	RefID      string            `json:"ref_id"`
	Email      string            `json:"email"`
	FBCLID     string            `json:"fbclid"`
	GCLID      string            `json:"gclid"`
	GBRAID     string            `json:"gbraid"`
	WBRAID     string            `json:"wbraid"`
	TTCLID     string            `json:"ttclid"`
	FBP        string            `json:"fbp"`
	FBC        string            `json:"fbc"`
	IP         string            `json:"ip"`
	UserAgent  string            `json:"user_agent"`
	Referrer   string            `json:"referrer"`
	Subs       map[string]string `json:"subs"`
	CreatedAt  time.Time         `json:"created_at"`

	// From the campaign, for attribution.
	TrafficSource         string           `json:"traffic_source,omitempty"`
	DefaultPayout         *decimal.Decimal `json:"default_payout,omitempty"`
	AttributionWindowDays int              `json:"-"`
}

const clickColumns = `k.id, k.account_id, k.campaign_id, k.visitor_id, k.page_id, k.external_id, k.ref_id, k.email, k.fbclid,
	k.gclid, k.gbraid, k.wbraid, k.ttclid, k.fbp, k.fbc, k.ip, k.user_agent, k.referrer, k.subs, k.created_at,
	coalesce(c.traffic_source, ''), c.default_payout, coalesce(c.attribution_window_days, 30)`

const clickFrom = ` FROM clicks k LEFT JOIN campaigns c ON c.id = k.campaign_id `

func scanClick(row interface{ Scan(...any) error }) (Click, error) {
	var k Click
	err := row.Scan(&k.ID, &k.AccountID, &k.CampaignID, &k.VisitorID, &k.PageID, &k.ExternalID, &k.RefID, &k.Email, &k.FBCLID,
		&k.GCLID, &k.GBRAID, &k.WBRAID, &k.TTCLID, &k.FBP, &k.FBC, &k.IP, &k.UserAgent, &k.Referrer, &k.Subs, &k.CreatedAt,
		&k.TrafficSource, &k.DefaultPayout, &k.AttributionWindowDays)
	if k.Subs == nil {
		k.Subs = map[string]string{}
	}
	return k, err
}

// InsertClick records a click and slides its visitor's session forward.
func (s *Store) InsertClick(ctx context.Context, k Click) (Click, error) {
	if k.ID == "" {
		k.ID = RandomID(22)
	}
	if k.Subs == nil {
		k.Subs = map[string]string{}
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO clicks (id, account_id, campaign_id, visitor_id, page_id, external_id, ref_id, email,
				fbclid, gclid, gbraid, wbraid, ttclid, fbp, fbc, ip, user_agent, referrer, subs, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)`,
			k.ID, k.AccountID, k.CampaignID, k.VisitorID, k.PageID, k.ExternalID, k.RefID, k.Email, k.FBCLID, k.GCLID, k.GBRAID,
			k.WBRAID, k.TTCLID, k.FBP, k.FBC, k.IP, k.UserAgent, k.Referrer, k.Subs, k.CreatedAt); err != nil {
			return uniqueConflict(err)
		}
		if k.VisitorID == "" {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO visitors (id, account_id, last_seen_at) VALUES ($1, $2, $3)
			ON CONFLICT (account_id, id) DO UPDATE SET last_seen_at = GREATEST(visitors.last_seen_at, EXCLUDED.last_seen_at)`,
			k.VisitorID, k.AccountID, k.CreatedAt)
		return err
	})
	if err != nil {
		return Click{}, fmt.Errorf("insert click: %w", err)
	}
	return k, nil
}

// GetClick loads a click of an account by id.
func (s *Store) GetClick(ctx context.Context, accountID, id string) (Click, error) {
	k, err := scanClick(s.Pool.QueryRow(ctx, `SELECT `+clickColumns+clickFrom+`WHERE k.account_id = $1 AND k.id = $2`, accountID, id))
	if err != nil {
		return Click{}, fmt.Errorf("get click %q: %w", id, notFound(err))
	}
	return k, nil
}

// ClickAccount returns the account a click belongs to (the global /pb endpoint
// learns its account from the hit).
func (s *Store) ClickAccount(ctx context.Context, id string) (string, error) {
	var account string
	err := s.Pool.QueryRow(ctx, `SELECT account_id FROM clicks WHERE id = $1`, id).Scan(&account)
	if err != nil {
		return "", fmt.Errorf("click account %q: %w", id, notFound(err))
	}
	return account, nil
}

// VisitorHit finds the visitor's most recent hit, on the page when page is set,
// provided the visitor's session is alive at 'at' (last activity within session).
func (s *Store) VisitorHit(ctx context.Context, accountID, visitorID, page string, session time.Duration, at time.Time) (Click, error) {
	var lastSeen time.Time
	err := s.Pool.QueryRow(ctx, `SELECT last_seen_at FROM visitors WHERE account_id = $1 AND id = $2`, accountID, visitorID).Scan(&lastSeen)
	if err != nil {
		return Click{}, fmt.Errorf("visitor %q: %w", visitorID, notFound(err))
	}
	if at.Sub(lastSeen) > session {
		return Click{}, fmt.Errorf("visitor %q session expired at %s: %w", visitorID, lastSeen.Add(session).UTC().Format(time.RFC3339), ErrNotFound)
	}
	k, err := scanClick(s.Pool.QueryRow(ctx, `SELECT `+clickColumns+clickFrom+`
		WHERE k.account_id = $1 AND k.visitor_id = $2 AND ($3 = '' OR k.page_id = $3) AND k.created_at <= $4
		ORDER BY k.created_at DESC LIMIT 1`, accountID, visitorID, page, at))
	if err != nil {
		return Click{}, fmt.Errorf("visitor %q hit on page %q: %w", visitorID, page, notFound(err))
	}
	return k, nil
}

// ClickByRef finds the most recent click carrying this external reference.
func (s *Store) ClickByRef(ctx context.Context, accountID, ref string) (Click, error) {
	k, err := scanClick(s.Pool.QueryRow(ctx, `SELECT `+clickColumns+clickFrom+`
		WHERE k.account_id = $1 AND (k.ref_id = $2 OR k.external_id = $2) ORDER BY k.created_at DESC LIMIT 1`, accountID, ref))
	if err != nil {
		return Click{}, fmt.Errorf("click with ref %q: %w", ref, notFound(err))
	}
	return k, nil
}

// ClickByEmail finds the most recent click with this email inside its campaign's
// attribution window as of 'at'.
func (s *Store) ClickByEmail(ctx context.Context, accountID, email string, at time.Time) (Click, error) {
	k, err := scanClick(s.Pool.QueryRow(ctx, `SELECT `+clickColumns+clickFrom+`
		WHERE k.account_id = $1 AND lower(k.email) = lower($2) AND k.created_at <= $3
		  AND k.created_at >= $3 - make_interval(days => coalesce(c.attribution_window_days, 30))
		ORDER BY k.created_at DESC LIMIT 1`, accountID, email, at))
	if err != nil {
		return Click{}, fmt.Errorf("click with email: %w", notFound(err))
	}
	return k, nil
}

// IsNotFound reports whether err means a missing row.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
