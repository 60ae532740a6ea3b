package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// TagSettings are an account's settings for the first-party tag (migration 015).
type TagSettings struct {
	// Origins may call the browser endpoints ("https://shop.example", exact).
	Origins []string
	// Events a browser may send as a conversion (event names, e.g. Purchase).
	Events []string
	// OfferDomains are rewritten by AutoTag.
	OfferDomains []OfferDomain
}

// OfferDomain is one AutoTag rule: links to Domain (or a subdomain) get the
// click id in Param ("" only replaces placeholders in the link).
type OfferDomain struct {
	Domain string `json:"domain"`
	Param  string `json:"param"`
}

// GetTagSettings reads an account's tag settings.
func (s *Store) GetTagSettings(ctx context.Context, accountID string) (TagSettings, error) {
	var t TagSettings
	var domains []byte
	err := s.Pool.QueryRow(ctx, `SELECT tag_origins, tag_events, tag_offer_domains FROM accounts WHERE id = $1`, accountID).
		Scan(&t.Origins, &t.Events, &domains)
	if err != nil {
		return TagSettings{}, fmt.Errorf("tag settings of %q: %w", accountID, notFound(err))
	}
	if err := json.Unmarshal(domains, &t.OfferDomains); err != nil {
		return TagSettings{}, fmt.Errorf("tag settings of %q: offer domains: %w", accountID, err)
	}
	return t, nil
}

// SetTagSettings stores an account's tag settings (validated by the caller).
func (s *Store) SetTagSettings(ctx context.Context, accountID string, t TagSettings) error {
	if t.Origins == nil {
		t.Origins = []string{}
	}
	if t.Events == nil {
		t.Events = []string{}
	}
	if t.OfferDomains == nil {
		t.OfferDomains = []OfferDomain{}
	}
	domains, err := json.Marshal(t.OfferDomains)
	if err != nil {
		return fmt.Errorf("tag settings of %q: %w", accountID, err)
	}
	tag, err := s.Pool.Exec(ctx, `UPDATE accounts SET tag_origins = $2, tag_events = $3, tag_offer_domains = $4 WHERE id = $1`,
		accountID, t.Origins, t.Events, domains)
	if err != nil {
		return fmt.Errorf("tag settings of %q: %w", accountID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("tag settings of %q: %w", accountID, ErrNotFound)
	}
	return nil
}

// TagHit is what a tag hit carries beyond its click (whose TTP and
// GAClientID hold the page's _ttp and _ga client id).
type TagHit struct {
	Consent string // "", "granted" or "denied"
	PageURL string
}

// GetTagHit reads what a tag hit carried beyond its click.
func (s *Store) GetTagHit(ctx context.Context, accountID, clickID string) (TagHit, error) {
	var h TagHit
	err := s.Pool.QueryRow(ctx, `SELECT consent, page_url FROM tag_hits WHERE account_id = $1 AND click_id = $2`,
		accountID, clickID).Scan(&h.Consent, &h.PageURL)
	if err != nil {
		return TagHit{}, fmt.Errorf("tag hit %q: %w", clickID, notFound(err))
	}
	return h, nil
}

// InsertTagHit records a click from the tag and what it carried beyond a
// click, in one transaction; the visitor's session slides forward as for any click.
func (s *Store) InsertTagHit(ctx context.Context, k Click, h TagHit) (Click, error) {
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if k, err = insertClick(ctx, tx, k); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO tag_hits (click_id, account_id, consent, page_url, created_at)
			VALUES ($1, $2, $3, $4, $5)`, k.ID, k.AccountID, h.Consent, h.PageURL, k.CreatedAt)
		return err
	})
	if err != nil {
		return Click{}, fmt.Errorf("insert tag hit: %w", err)
	}
	return k, nil
}
