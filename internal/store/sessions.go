package store

import (
	"context"
	"fmt"
)

// AccountForKeyHash returns the account whose admin key has this hash: a console
// session carries the hash, so revoking the key ends the session.
func (s *Store) AccountForKeyHash(ctx context.Context, hash string) (string, error) {
	var id string
	err := s.Pool.QueryRow(ctx, `SELECT account_id FROM api_keys WHERE key_hash = $1`, hash).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("look up api key: %w", notFound(err))
	}
	return id, nil
}
