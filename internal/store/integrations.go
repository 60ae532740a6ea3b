package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convrelay/convrelay/internal/conv"
)

// Integration is one network's endpoint into an account.
type Integration struct {
	ID        int64  `json:"id"`
	AccountID string `json:"account_id"`
	Slug      string `json:"slug"`
	Preset    string `json:"preset"`
	// Open integrations take postbacks without a token; only an explicit
	// "open" at creation makes one.
	Open bool `json:"open"`
	// Tokens are the live (not revoked) tokens, opened, oldest first. On
	// create, a given first token is used instead of a random one.
	Tokens       []IntegrationToken `json:"-"`
	AllowedCIDRs []string           `json:"allowed_cidrs"`
	FieldMap     map[string]string  `json:"field_map"`
	// StatusMap and UnknownStatus read the network's status words on top of
	// the preset (postback.Integration).
	StatusMap     map[string]string `json:"status_map"`
	UnknownStatus string            `json:"unknown_status"`
	// DuplicateMode decides a repeated approval (conv.DuplicateMode).
	DuplicateMode string    `json:"duplicate_mode"`
	CreatedAt     time.Time `json:"created_at"`
}

// IntegrationToken is one secret a network sends with its postbacks.
type IntegrationToken struct {
	ID        int64     `json:"id"`
	Secret    string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// tokenPurpose binds sealed integration tokens to their column.
const tokenPurpose = "integration_token"

// NewIntegrationToken returns a random token (about 230 bits).
func NewIntegrationToken() string { return "it_" + RandomID(40) }

const integrationColumns = `i.id, i.account_id, i.slug, i.preset, i.open, i.allowed_cidrs, i.field_map, i.status_map, i.unknown_status, i.duplicate_mode, i.created_at,
	ARRAY(SELECT t.id FROM integration_tokens t WHERE t.integration_id = i.id AND t.revoked_at IS NULL ORDER BY t.id),
	ARRAY(SELECT t.secret FROM integration_tokens t WHERE t.integration_id = i.id AND t.revoked_at IS NULL ORDER BY t.id),
	ARRAY(SELECT t.created_at FROM integration_tokens t WHERE t.integration_id = i.id AND t.revoked_at IS NULL ORDER BY t.id)`

func (s *Store) scanIntegration(row pgx.Row) (Integration, error) {
	var in Integration
	var ids []int64
	var sealed []string
	var created []time.Time
	if err := row.Scan(&in.ID, &in.AccountID, &in.Slug, &in.Preset, &in.Open, &in.AllowedCIDRs, &in.FieldMap, &in.StatusMap,
		&in.UnknownStatus, &in.DuplicateMode, &in.CreatedAt, &ids, &sealed, &created); err != nil {
		return in, err
	}
	if in.FieldMap == nil {
		in.FieldMap = map[string]string{}
	}
	if in.StatusMap == nil {
		in.StatusMap = map[string]string{}
	}
	if in.AllowedCIDRs == nil {
		in.AllowedCIDRs = []string{}
	}
	for i := range ids {
		plain, err := s.openSecret(sealed[i], tokenPurpose)
		if err != nil {
			return in, fmt.Errorf("integration %q token %d: %w", in.Slug, ids[i], err)
		}
		in.Tokens = append(in.Tokens, IntegrationToken{ID: ids[i], Secret: plain, CreatedAt: created[i]})
	}
	return in, nil
}

// CreateIntegration adds an integration with one token (unless it is open); a
// slug already used in the account is ErrConflict. A deleted slug is reused: its
// old tokens are revoked.
func (s *Store) CreateIntegration(ctx context.Context, in Integration) (Integration, error) {
	if in.FieldMap == nil {
		in.FieldMap = map[string]string{}
	}
	if in.AllowedCIDRs == nil {
		in.AllowedCIDRs = []string{}
	}
	if in.StatusMap == nil {
		in.StatusMap = map[string]string{}
	}
	if in.UnknownStatus == "" {
		in.UnknownStatus = "approve"
	}
	if in.DuplicateMode == "" {
		in.DuplicateMode = string(conv.DuplicateIgnore)
	}
	token := NewIntegrationToken()
	if len(in.Tokens) > 0 && in.Tokens[0].Secret != "" {
		token = in.Tokens[0].Secret
	}
	sealed, err := s.sealSecret(token, tokenPurpose)
	if err != nil {
		return Integration{}, fmt.Errorf("create integration: %w", err)
	}
	var out Integration
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO integrations (account_id, slug, preset, open, allowed_cidrs, field_map, status_map, unknown_status,
				duplicate_mode)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (account_id, slug) DO UPDATE SET preset = EXCLUDED.preset, open = EXCLUDED.open,
				allowed_cidrs = EXCLUDED.allowed_cidrs, field_map = EXCLUDED.field_map, status_map = EXCLUDED.status_map,
				unknown_status = EXCLUDED.unknown_status, duplicate_mode = EXCLUDED.duplicate_mode, deleted_at = NULL, created_at = now()
				WHERE integrations.deleted_at IS NOT NULL
			RETURNING id`, in.AccountID, in.Slug, in.Preset, in.Open, in.AllowedCIDRs, in.FieldMap, in.StatusMap, in.UnknownStatus,
			in.DuplicateMode).Scan(&id)
		if err != nil {
			if notFound(err) == ErrNotFound { // the conflict clause did not update: slug is live
				return fmt.Errorf("create integration %q: %w", in.Slug, ErrConflict)
			}
			return fmt.Errorf("create integration: %w", uniqueConflict(err))
		}
		if _, err := tx.Exec(ctx, `UPDATE integration_tokens SET revoked_at = now() WHERE integration_id = $1 AND revoked_at IS NULL`, id); err != nil {
			return fmt.Errorf("create integration: revoke old tokens: %w", err)
		}
		if !in.Open {
			if _, err := tx.Exec(ctx, `INSERT INTO integration_tokens (integration_id, secret) VALUES ($1, $2)`, id, sealed); err != nil {
				return fmt.Errorf("create integration: token: %w", err)
			}
		}
		out, err = s.scanIntegration(tx.QueryRow(ctx, `SELECT `+integrationColumns+` FROM integrations i WHERE i.id = $1`, id))
		if err != nil {
			return fmt.Errorf("create integration: reload: %w", err)
		}
		return nil
	})
	return out, err
}

// GetIntegration loads a live integration by slug, with its live tokens.
func (s *Store) GetIntegration(ctx context.Context, accountID, slug string) (Integration, error) {
	in, err := s.scanIntegration(s.Pool.QueryRow(ctx, `SELECT `+integrationColumns+` FROM integrations i
		WHERE i.account_id = $1 AND i.slug = $2 AND i.deleted_at IS NULL`, accountID, slug))
	if err != nil {
		return Integration{}, fmt.Errorf("get integration %q: %w", slug, notFound(err))
	}
	return in, nil
}

// ListIntegrations lists an account's live integrations.
func (s *Store) ListIntegrations(ctx context.Context, accountID string) ([]Integration, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+integrationColumns+` FROM integrations i
		WHERE i.account_id = $1 AND i.deleted_at IS NULL ORDER BY i.id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	defer rows.Close()
	out := []Integration{}
	for rows.Next() {
		in, err := s.scanIntegration(rows)
		if err != nil {
			return nil, fmt.Errorf("scan integration: %w", err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	return out, nil
}

// SetIntegrationStatusRules replaces a live integration's status_map and
// unknown_status (validated by the caller) and returns it.
func (s *Store) SetIntegrationStatusRules(ctx context.Context, accountID, slug string, statusMap map[string]string, unknownStatus string) (Integration, error) {
	if statusMap == nil {
		statusMap = map[string]string{}
	}
	if unknownStatus == "" {
		unknownStatus = "approve"
	}
	tag, err := s.Pool.Exec(ctx, `UPDATE integrations SET status_map = $3, unknown_status = $4
		WHERE account_id = $1 AND slug = $2 AND deleted_at IS NULL`, accountID, slug, statusMap, unknownStatus)
	if err != nil {
		return Integration{}, fmt.Errorf("set status rules of integration %q: %w", slug, err)
	}
	if tag.RowsAffected() == 0 {
		return Integration{}, fmt.Errorf("set status rules of integration %q: %w", slug, ErrNotFound)
	}
	return s.GetIntegration(ctx, accountID, slug)
}

// SetIntegrationDuplicateMode sets a live integration's duplicate mode
// (validated by the caller) and returns it.
func (s *Store) SetIntegrationDuplicateMode(ctx context.Context, accountID, slug, mode string) (Integration, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE integrations SET duplicate_mode = $3
		WHERE account_id = $1 AND slug = $2 AND deleted_at IS NULL`, accountID, slug, mode)
	if err != nil {
		return Integration{}, fmt.Errorf("set duplicate mode of integration %q: %w", slug, err)
	}
	if tag.RowsAffected() == 0 {
		return Integration{}, fmt.Errorf("set duplicate mode of integration %q: %w", slug, ErrNotFound)
	}
	return s.GetIntegration(ctx, accountID, slug)
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
