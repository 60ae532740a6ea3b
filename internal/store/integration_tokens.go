package store

import (
	"context"
	"errors"
	"fmt"
)

// ErrLastToken refuses revoking the only live token of a closed integration: a
// new one is added first, so the network's URL can change without a gap.
var ErrLastToken = errors.New("the last live token cannot be revoked; add a new one first")

// AddIntegrationToken gives a live integration a new token beside the ones it
// has (rotation with overlap); it returns the token in clear, shown once.
func (s *Store) AddIntegrationToken(ctx context.Context, accountID, slug string) (IntegrationToken, error) {
	plain := NewIntegrationToken()
	sealed, err := s.sealSecret(plain, tokenPurpose)
	if err != nil {
		return IntegrationToken{}, fmt.Errorf("add integration token: %w", err)
	}
	t := IntegrationToken{Secret: plain}
	err = s.Pool.QueryRow(ctx, `INSERT INTO integration_tokens (integration_id, secret)
		SELECT id, $3 FROM integrations WHERE account_id = $1 AND slug = $2 AND deleted_at IS NULL
		RETURNING id, created_at`, accountID, slug, sealed).Scan(&t.ID, &t.CreatedAt)
	if err != nil {
		return IntegrationToken{}, fmt.Errorf("add token to integration %q: %w", slug, notFound(err))
	}
	return t, nil
}

// RevokeIntegrationToken revokes one live token of an integration.
func (s *Store) RevokeIntegrationToken(ctx context.Context, accountID, slug string, tokenID int64) error {
	var revoked, others int
	err := s.Pool.QueryRow(ctx, `WITH i AS (
			SELECT id, open FROM integrations WHERE account_id = $1 AND slug = $2 AND deleted_at IS NULL
		), others AS (
			SELECT count(*) AS n FROM integration_tokens t, i WHERE t.integration_id = i.id AND t.revoked_at IS NULL AND t.id <> $3
		), upd AS (
			UPDATE integration_tokens t SET revoked_at = now() FROM i, others
			WHERE t.integration_id = i.id AND t.id = $3 AND t.revoked_at IS NULL AND (others.n > 0 OR i.open)
			RETURNING t.id
		)
		SELECT (SELECT count(*) FROM upd), COALESCE((SELECT n FROM others), 0)`, accountID, slug, tokenID).Scan(&revoked, &others)
	if err != nil {
		return fmt.Errorf("revoke integration token: %w", err)
	}
	if revoked == 1 {
		return nil
	}
	var live bool
	if err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM integration_tokens t JOIN integrations i ON i.id = t.integration_id
		WHERE i.account_id = $1 AND i.slug = $2 AND i.deleted_at IS NULL AND t.id = $3 AND t.revoked_at IS NULL)`,
		accountID, slug, tokenID).Scan(&live); err != nil {
		return fmt.Errorf("revoke integration token: %w", err)
	}
	if live {
		return fmt.Errorf("revoke token %d: %w", tokenID, ErrLastToken)
	}
	return fmt.Errorf("revoke token %d of %q: %w", tokenID, slug, ErrNotFound)
}
