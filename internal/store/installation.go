package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// InstallationSecret returns a random secret generated once per installation and
// shared by every replica through the database (the first to ask creates it).
func (s *Store) InstallationSecret(ctx context.Context, name string) ([]byte, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, fmt.Errorf("generate %s: %w", name, err)
	}
	var value string
	err := s.Pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO installation (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value)
		SELECT value FROM ins UNION ALL SELECT value FROM installation WHERE name = $1 LIMIT 1`,
		name, base64.StdEncoding.EncodeToString(buf)).Scan(&value)
	if err != nil {
		return nil, fmt.Errorf("installation secret %s: %w", name, err)
	}
	secret, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return nil, fmt.Errorf("installation secret %s: %w", name, err)
	}
	return secret, nil
}
