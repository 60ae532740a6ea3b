package store

import (
	"context"
	"fmt"
	"time"
)

// Integration is one network's endpoint into an account.
type Integration struct {
	ID           int64             `json:"id"`
	AccountID    string            `json:"account_id"`
	Slug         string            `json:"slug"`
	Preset       string            `json:"preset"`
	Token        string            `json:"-"`
	AllowedCIDRs []string          `json:"allowed_cidrs"`
	FieldMap     map[string]string `json:"field_map"`
	CreatedAt    time.Time         `json:"created_at"`
}

const integrationColumns = `id, account_id, slug, preset, token, allowed_cidrs, field_map, created_at`

func scanIntegration(row interface{ Scan(...any) error }) (Integration, error) {
	var in Integration
	err := row.Scan(&in.ID, &in.AccountID, &in.Slug, &in.Preset, &in.Token, &in.AllowedCIDRs, &in.FieldMap, &in.CreatedAt)
	if in.FieldMap == nil {
		in.FieldMap = map[string]string{}
	}
	if in.AllowedCIDRs == nil {
		in.AllowedCIDRs = []string{}
	}
	return in, err
}

// CreateIntegration adds an integration; a slug already used in the account is ErrConflict.
func (s *Store) CreateIntegration(ctx context.Context, in Integration) (Integration, error) {
	if in.FieldMap == nil {
		in.FieldMap = map[string]string{}
	}
	if in.AllowedCIDRs == nil {
		in.AllowedCIDRs = []string{}
	}
	row := s.Pool.QueryRow(ctx, `INSERT INTO integrations (account_id, slug, preset, token, allowed_cidrs, field_map)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (account_id, slug) DO UPDATE SET preset = EXCLUDED.preset, token = EXCLUDED.token,
			allowed_cidrs = EXCLUDED.allowed_cidrs, field_map = EXCLUDED.field_map, deleted_at = NULL, created_at = now()
			WHERE integrations.deleted_at IS NOT NULL
		RETURNING `+integrationColumns,
		in.AccountID, in.Slug, in.Preset, in.Token, in.AllowedCIDRs, in.FieldMap)
	out, err := scanIntegration(row)
	if err != nil {
		if notFound(err) == ErrNotFound { // the conflict clause did not update: slug is live
			return Integration{}, fmt.Errorf("create integration %q: %w", in.Slug, ErrConflict)
		}
		return Integration{}, fmt.Errorf("create integration: %w", uniqueConflict(err))
	}
	return out, nil
}

// GetIntegration loads a live integration by slug.
func (s *Store) GetIntegration(ctx context.Context, accountID, slug string) (Integration, error) {
	row := s.Pool.QueryRow(ctx, `SELECT `+integrationColumns+` FROM integrations
		WHERE account_id = $1 AND slug = $2 AND deleted_at IS NULL`, accountID, slug)
	in, err := scanIntegration(row)
	if err != nil {
		return Integration{}, fmt.Errorf("get integration %q: %w", slug, notFound(err))
	}
	return in, nil
}

// ListIntegrations lists an account's live integrations.
func (s *Store) ListIntegrations(ctx context.Context, accountID string) ([]Integration, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+integrationColumns+` FROM integrations
		WHERE account_id = $1 AND deleted_at IS NULL ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	defer rows.Close()
	out := []Integration{}
	for rows.Next() {
		in, err := scanIntegration(rows)
		if err != nil {
			return nil, fmt.Errorf("scan integration: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// DeleteIntegration soft-deletes an integration: its log rows keep their slug.
func (s *Store) DeleteIntegration(ctx context.Context, accountID, slug string) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE integrations SET deleted_at = now() WHERE account_id = $1 AND slug = $2 AND deleted_at IS NULL`, accountID, slug)
	if err != nil {
		return fmt.Errorf("delete integration: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete integration %q: %w", slug, ErrNotFound)
	}
	return nil
}
