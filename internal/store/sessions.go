package store

import (
	"context"
	"fmt"
)

// KeyForHash returns the live (not revoked) admin key with this hash: a console
// session carries the hash, so revoking the key ends the session.
func (s *Store) KeyForHash(ctx context.Context, hash string) (APIKey, error) {
	k, err := scanAPIKey(s.Pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`+liveOwner, hash))
	if err != nil {
		return APIKey{}, fmt.Errorf("look up api key: %w", notFound(err))
	}
	return k, nil
}
