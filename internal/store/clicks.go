package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// Click is one recorded visit (a FunnelFlux hit): what a conversion is attributed to.
type Click struct {
	ID         string
	AccountID  string
	CampaignID *int64
	PageID     string
	RefID      string
	Email      string
	// SourceClick is the part of the click a conversion attributed to it carries.
	SourceClick
	Subs      map[string]string
	CreatedAt time.Time

	// Report dimensions, set at insert: Country (ISO 3166 alpha-2) from the caller,
	// the others parsed from UserAgent.
	Country    string
	DeviceType string
	OS         string
	Browser    string
	// Cost is what the click cost, in the account's currency (nil: unknown).
	// A campaign cost posted for the click's day or hour replaces it.
	Cost *decimal.Decimal

	// From the campaign, for attribution.
	TrafficSource         string
	DefaultPayout         *decimal.Decimal
	AttributionWindowDays int
	DuplicateMode         string // "" when the campaign leaves it to the integration
}

// SourceClick is a click's source data: its ids, cookies and address, which
// a conversion attributed to it carries for the deliveries (Conversion.Source).
type SourceClick struct {
	ExternalID string
	VisitorID  string
	FBCLID     string
	GCLID      string
	GBRAID     string
	WBRAID     string
	TTCLID     string
	// TTP is TikTok's _ttp cookie; GAClientID the Google Analytics client id
	// ("x.y", from the _ga cookie or a ga_client_id/client_id parameter).
	TTP        string
	GAClientID string
	FBC        string
	FBP        string
	IP         string
	UserAgent  string
	Referrer   string
}

// clickColumns are a Click's columns, mapped by name: the click and, for
// attribution, its campaign's.
const clickColumns = `k.id, k.account_id, k.campaign_id, k.visitor_id, k.page_id, k.external_id, k.ref_id, k.email, k.fbclid,
	k.gclid, k.gbraid, k.wbraid, k.ttclid, k.fbp, k.fbc, k.ip, k.user_agent, k.referrer, k.subs, k.created_at,
	coalesce(c.traffic_source, '') AS traffic_source, c.default_payout,
	coalesce(c.attribution_window_days, 30) AS attribution_window_days,
	k.country, k.device_type, k.os, k.browser, k.ttp, k.ga_client_id, k.cost,
	coalesce(c.duplicate_mode, '') AS duplicate_mode`

const clickFrom = ` FROM clicks k LEFT JOIN campaigns c ON c.id = k.campaign_id `

// oneClick maps the one row of a query of clickColumns (pgx.ErrNoRows when none).
func oneClick(rows pgx.Rows, err error) (Click, error) {
	k, err := collectOneRow[Click](rows, err)
	if k.Subs == nil {
		k.Subs = map[string]string{}
	}
	return k, err
}

// normalizeClick fills the defaults every stored click has.
func normalizeClick(k *Click) {
	if k.ID == "" {
		k.ID = RandomID(22)
	}
	if k.Subs == nil {
		k.Subs = map[string]string{}
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	// Emails are matched exactly (and through the index), so they are kept trimmed and lower-case.
	k.Email = strings.ToLower(strings.TrimSpace(k.Email))
	k.Country = normalizeCountry(k.Country)
	k.DeviceType, k.OS, k.Browser = parseUserAgent(k.UserAgent)
}

// clickInsert is the INSERT shared by InsertClick and InsertCampaignHit.
const clickInsert = `INSERT INTO clicks (id, account_id, campaign_id, visitor_id, page_id, external_id, ref_id, email,
			fbclid, gclid, gbraid, wbraid, ttclid, fbp, fbc, ip, user_agent, referrer, subs, created_at,
			country, device_type, os, browser, ttp, ga_client_id, cost)`

// clickValues are a click's columns after id, account_id and campaign_id, with
// their placeholders numbered from 'from'.
func clickValues(k Click, from int) (string, []any) {
	args := []any{k.VisitorID, k.PageID, k.ExternalID, k.RefID, k.Email, k.FBCLID, k.GCLID, k.GBRAID,
		k.WBRAID, k.TTCLID, k.FBP, k.FBC, k.IP, k.UserAgent, k.Referrer, k.Subs, k.CreatedAt,
		k.Country, k.DeviceType, k.OS, k.Browser, k.TTP, k.GAClientID, k.Cost}
	ph := make([]string, len(args))
	for i := range args {
		ph[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(ph, ", "), args
}

// InsertClick records a click and slides its visitor's session forward.
func (s *Store) InsertClick(ctx context.Context, k Click) (Click, error) {
	return insertClick(ctx, s.Pool, k)
}

// insertClick is InsertClick on a pool or inside a transaction.
func insertClick(ctx context.Context, q querier, k Click) (Click, error) {
	normalizeClick(&k)
	ph, vals := clickValues(k, 4)
	var id string
	err := q.QueryRow(ctx, `WITH k AS (`+clickInsert+` VALUES ($1, $2, $3, `+ph+`)
			RETURNING id)
		SELECT id FROM k`, append([]any{k.ID, k.AccountID, k.CampaignID}, vals...)...).Scan(&id)
	if err != nil {
		return Click{}, fmt.Errorf("insert click: %w", uniqueConflict(err))
	}
	return k, nil
}

// InsertCampaignHit records a hit on a live campaign (the click redirect) and
// returns it with the campaign's offer URL, in one statement; the click belongs to
// the campaign's account. A missing or deleted campaign is ErrNotFound.
func (s *Store) InsertCampaignHit(ctx context.Context, slug string, k Click) (Click, string, error) {
	normalizeClick(&k)
	ph, vals := clickValues(k, 3)
	var account, offer string
	var campaignID int64
	err := s.Pool.QueryRow(ctx, `WITH cp AS (
			SELECT id, account_id, offer_url FROM campaigns WHERE slug = $2 AND deleted_at IS NULL
		), k AS (`+clickInsert+` SELECT $1, cp.account_id, cp.id, `+ph+` FROM cp
			RETURNING id)
		SELECT cp.id, cp.account_id, cp.offer_url FROM cp`, append([]any{k.ID, slug}, vals...)...).Scan(&campaignID, &account, &offer)
	if err != nil {
		return Click{}, "", fmt.Errorf("record hit on a campaign: %w", uniqueConflict(notFound(err)))
	}
	k.AccountID, k.CampaignID = account, &campaignID
	return k, offer, nil
}

// GetClick loads a click of an account by id.
func (s *Store) GetClick(ctx context.Context, accountID, id string) (Click, error) {
	k, err := oneClick(s.Pool.Query(ctx, `SELECT `+clickColumns+clickFrom+`WHERE k.account_id = $1 AND k.id = $2`, accountID, id))
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

// visitorBatch is how many of a visitor's hits VisitorHit reads per query.
const visitorBatch = 100

// VisitorHit finds the visitor's most recent hit at or before 'at' (on the page
// when page is set) that is still inside the visitor's current session. A session
// lasts 'session' after the visitor's last activity and each hit extends it, so the
// session alive at 'at' is the run of hits walking back from 'at' in which no gap
// exceeds 'session'. Hits after 'at' do not count: a back-dated conversion is judged
// by the activity there was at its time.
func (s *Store) VisitorHit(ctx context.Context, accountID, visitorID, page string, session time.Duration, at time.Time) (Click, error) {
	if visitorID == "" {
		return Click{}, fmt.Errorf("visitor hit: no visitor id: %w", ErrNotFound)
	}
	newer := at // the time of the activity just after the hit being examined
	var cursorAt time.Time
	var cursorID string
	for first := true; ; first = false {
		rows, err := s.Pool.Query(ctx, `SELECT id, page_id, created_at FROM clicks
			WHERE account_id = $1 AND visitor_id = $2 AND created_at <= $3
			  AND ($4 OR (created_at, id) < ($5, $6))
			ORDER BY created_at DESC, id DESC LIMIT `+strconv.Itoa(visitorBatch),
			accountID, visitorID, at, first, cursorAt, cursorID)
		if err != nil {
			return Click{}, fmt.Errorf("visitor %q hits: %w", visitorID, err)
		}
		var (
			n       int
			matchID string
			ended   bool
		)
		for rows.Next() {
			var id, pg string
			var t time.Time
			if err := rows.Scan(&id, &pg, &t); err != nil {
				rows.Close()
				return Click{}, fmt.Errorf("visitor %q hits: %w", visitorID, err)
			}
			n++
			cursorAt, cursorID = t, id
			if newer.Sub(t) > session {
				ended = true // this hit and older ones belong to an earlier session
				break
			}
			if page == "" || pg == page {
				matchID = id
				break
			}
			newer = t
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return Click{}, fmt.Errorf("visitor %q hits: %w", visitorID, err)
		}
		switch {
		case matchID != "":
			return s.GetClick(ctx, accountID, matchID)
		case ended:
			return Click{}, fmt.Errorf("visitor %q: no hit on page %q in the session alive at %s: %w",
				visitorID, page, at.UTC().Format(time.RFC3339), ErrNotFound)
		case n < visitorBatch:
			return Click{}, fmt.Errorf("visitor %q: no hit on page %q: %w", visitorID, page, ErrNotFound)
		}
	}
}

// ClickByRef finds the most recent click carrying this external reference.
func (s *Store) ClickByRef(ctx context.Context, accountID, ref string) (Click, error) {
	if ref == "" {
		return Click{}, fmt.Errorf("click with ref: no ref: %w", ErrNotFound)
	}
	k, err := oneClick(s.Pool.Query(ctx, `SELECT `+clickColumns+clickFrom+`
		WHERE k.account_id = $1 AND (k.ref_id = $2 OR k.external_id = $2) ORDER BY k.created_at DESC LIMIT 1`, accountID, ref))
	if err != nil {
		return Click{}, fmt.Errorf("click with ref %q: %w", ref, notFound(err))
	}
	return k, nil
}

// ClickByEmail finds the most recent click with this email inside its campaign's
// attribution window as of 'at'.
func (s *Store) ClickByEmail(ctx context.Context, accountID, email string, at time.Time) (Click, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return Click{}, fmt.Errorf("click with email: no email: %w", ErrNotFound)
	}
	k, err := oneClick(s.Pool.Query(ctx, `SELECT `+clickColumns+clickFrom+`
		WHERE k.account_id = $1 AND k.email = $2 AND k.created_at <= $3
		  AND k.created_at >= $3 - make_interval(days => coalesce(c.attribution_window_days, 30))
		ORDER BY k.created_at DESC LIMIT 1`, accountID, email, at))
	if err != nil {
		return Click{}, fmt.Errorf("click with email: %w", notFound(err))
	}
	return k, nil
}

// IsNotFound reports whether err means a missing row.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
