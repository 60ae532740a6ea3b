package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/convrelay/convrelay/internal/destinations"
)

// Destination is where conversions are forwarded (a pixel, a traffic source, a webhook).
type Destination struct {
	ID         int64
	AccountID  string
	Type       string
	Name       string
	Endpoint   string
	Config     map[string]string
	FireOn     destinations.FireOn // life events it takes; stored as "approved,rejected"
	CampaignID *int64
	Enabled    bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

const destinationColumns = `id, account_id, type, name, endpoint, config, fire_on, campaign_id, enabled, created_at, updated_at`

// scanDestination reads a destination and opens its sealed secrets.
func (s *Store) scanDestination(row interface{ Scan(...any) error }) (Destination, error) {
	var d Destination
	var fireOn string
	if err := row.Scan(&d.ID, &d.AccountID, &d.Type, &d.Name, &d.Endpoint, &d.Config, &fireOn, &d.CampaignID, &d.Enabled, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return d, err
	}
	var err error
	if d.FireOn, err = parseFireOn(fireOn); err != nil {
		return d, err
	}
	cfg, err := s.openConfig(d.Config)
	if err != nil {
		return d, fmt.Errorf("destination %d: %w", d.ID, err)
	}
	if cfg == nil {
		cfg = map[string]string{}
	}
	d.Config = cfg
	return d, nil
}

// parseFireOn reads the stored set; the column's CHECK keeps it well formed,
// so an error here means the schema and the code disagree.
func parseFireOn(s string) (destinations.FireOn, error) {
	f, err := destinations.ParseFireOn(s)
	if err != nil {
		return 0, fmt.Errorf("destination fire_on %q: %w", s, err)
	}
	return f, nil
}

// CreateDestination adds a destination.
func (s *Store) CreateDestination(ctx context.Context, d Destination) (Destination, error) {
	if d.Config == nil {
		d.Config = map[string]string{}
	}
	if d.FireOn == 0 {
		d.FireOn = destinations.DefaultFireOn(destinations.Type(d.Type))
	}
	sealed, err := s.sealConfig(d.Config)
	if err != nil {
		return Destination{}, fmt.Errorf("create destination: %w", err)
	}
	out, err := s.scanDestination(s.Pool.QueryRow(ctx, `INSERT INTO destinations (account_id, type, name, endpoint, config, fire_on, campaign_id, enabled)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+destinationColumns,
		d.AccountID, d.Type, d.Name, d.Endpoint, sealed, d.FireOn.String(), d.CampaignID, d.Enabled))
	if err != nil {
		return Destination{}, fmt.Errorf("create destination: %w", err)
	}
	return out, nil
}

// UpdateDestination replaces a destination's settings.
func (s *Store) UpdateDestination(ctx context.Context, d Destination) (Destination, error) {
	sealed, err := s.sealConfig(d.Config)
	if err != nil {
		return Destination{}, fmt.Errorf("update destination %d: %w", d.ID, err)
	}
	out, err := s.scanDestination(s.Pool.QueryRow(ctx, `UPDATE destinations SET type = $3, name = $4, endpoint = $5, config = $6,
			fire_on = $7, campaign_id = $8, enabled = $9, updated_at = now()
		WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING `+destinationColumns,
		d.AccountID, d.ID, d.Type, d.Name, d.Endpoint, sealed, d.FireOn.String(), d.CampaignID, d.Enabled))
	if err != nil {
		return Destination{}, fmt.Errorf("update destination %d: %w", d.ID, notFound(err))
	}
	return out, nil
}

// GetDestination loads one live destination of an account.
func (s *Store) GetDestination(ctx context.Context, accountID string, id int64) (Destination, error) {
	d, err := s.scanDestination(s.Pool.QueryRow(ctx, `SELECT `+destinationColumns+` FROM destinations
		WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL`, accountID, id))
	if err != nil {
		return Destination{}, fmt.Errorf("get destination %d: %w", id, notFound(err))
	}
	return d, nil
}

func (s *Store) getDestination(ctx context.Context, q querier, id int64) (Destination, error) {
	d, err := s.scanDestination(q.QueryRow(ctx, `SELECT `+destinationColumns+` FROM destinations WHERE id = $1`, id))
	if err != nil {
		return Destination{}, fmt.Errorf("get destination %d: %w", id, notFound(err))
	}
	return d, nil
}

// ListDestinations lists an account's live destinations.
func (s *Store) ListDestinations(ctx context.Context, accountID string) ([]Destination, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+destinationColumns+` FROM destinations
		WHERE account_id = $1 AND deleted_at IS NULL ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list destinations: %w", err)
	}
	defer rows.Close()
	out := []Destination{}
	for rows.Next() {
		d, err := s.scanDestination(rows)
		if err != nil {
			return nil, fmt.Errorf("scan destination: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeleteDestination soft-deletes a destination; its delivery log stays.
func (s *Store) DeleteDestination(ctx context.Context, accountID string, id int64) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE destinations SET deleted_at = now() WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL`, accountID, id)
	if err != nil {
		return fmt.Errorf("delete destination: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete destination %d: %w", id, ErrNotFound)
	}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
