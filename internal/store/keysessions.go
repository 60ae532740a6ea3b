package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Console sessions signed in with an API key (migration 019): the cookie holds
// a random id, only its SHA-256 is kept, and every request reads the row
// joined with the key, so signing out or revoking the key ends the session at
// once on every replica.

// CreateKeySession starts a console session of a live API key; the returned id
// goes in the cookie.
func (s *Store) CreateKeySession(ctx context.Context, keyID int64, ttl time.Duration) (string, error) {
	id := "kses_" + RandomID(32)
	if _, err := s.Pool.Exec(ctx, `INSERT INTO key_sessions (id_hash, key_id, expires_at) VALUES ($1, $2, now() + $3::interval)`,
		HashKey(id), keyID, ttl.String()); err != nil {
		return "", fmt.Errorf("create key session: %w", err)
	}
	return id, nil
}

// KeySession returns the live key of a live key session (ErrNotFound once the
// session is signed out or expired, or the key or its user revoked).
func (s *Store) KeySession(ctx context.Context, sessionID string) (APIKey, error) {
	cols := "k." + strings.ReplaceAll(apiKeyColumns, ", ", ", k.")
	k, err := scanAPIKey(s.Pool.QueryRow(ctx, `SELECT `+cols+` FROM key_sessions x JOIN api_keys k ON k.id = x.key_id
		WHERE x.id_hash = $1 AND x.expires_at > now() AND k.revoked_at IS NULL
		AND (k.user_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = k.user_id AND u.revoked_at IS NULL))`, HashKey(sessionID)))
	if err != nil {
		return APIKey{}, fmt.Errorf("key session: %w", notFound(err))
	}
	return k, nil
}

// EndKeySession ends one key session (sign-out).
func (s *Store) EndKeySession(ctx context.Context, sessionID string) error {
	if _, err := s.Pool.Exec(ctx, `DELETE FROM key_sessions WHERE id_hash = $1`, HashKey(sessionID)); err != nil {
		return fmt.Errorf("end key session: %w", err)
	}
	return nil
}
