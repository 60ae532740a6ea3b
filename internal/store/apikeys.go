package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Admin key roles: admin may do everything in its account; read may only read.
const (
	RoleAdmin = "admin"
	RoleRead  = "read"
)

// ErrLastAdminKey refuses revoking an account's last live admin key, which would
// lock everyone out of it.
var ErrLastAdminKey = errors.New("the last admin key cannot be revoked; create another admin key first")

// APIKey is an admin key as it can be shown: never the key, only its handle.
type APIKey struct {
	ID         int64      `json:"id"`
	AccountID  string     `json:"account_id"`
	Label      string     `json:"label"`
	Role       string     `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// Campaigns limits a buyer or viewer key; empty: every campaign.
	Campaigns []int64 `json:"campaign_ids,omitempty"`
	// UserID is the user the key belongs to (nil: the account's).
	UserID *int64 `json:"user_id,omitempty"`
}

const apiKeyColumns = `id, account_id, label, role, created_at, last_used_at, revoked_at, campaign_ids, user_id`

func scanAPIKey(row interface{ Scan(...any) error }) (APIKey, error) {
	var k APIKey
	err := row.Scan(&k.ID, &k.AccountID, &k.Label, &k.Role, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt, &k.Campaigns, &k.UserID)
	return k, err
}

// CreateAPIKey makes a new admin key; the key itself is returned once and only
// its SHA-256 is kept.
func (s *Store) CreateAPIKey(ctx context.Context, accountID, label, role string) (APIKey, string, error) {
	return s.CreateScopedAPIKey(ctx, APIKey{AccountID: accountID, Label: label, Role: role})
}

// CreateScopedAPIKey is CreateAPIKey with a campaign scope and an owning user.
func (s *Store) CreateScopedAPIKey(ctx context.Context, k APIKey) (APIKey, string, error) {
	key := "cr_" + RandomID(32)
	if k.Campaigns == nil {
		k.Campaigns = []int64{}
	}
	k, err := scanAPIKey(s.Pool.QueryRow(ctx, `INSERT INTO api_keys (key_hash, account_id, label, role, campaign_ids, user_id)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+apiKeyColumns, HashKey(key), k.AccountID, k.Label, k.Role, k.Campaigns, k.UserID))
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	return k, key, nil
}

// ListAPIKeys lists an account's keys, revoked ones included (for the record).
func (s *Store) ListAPIKeys(ctx context.Context, accountID string) ([]APIKey, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	out := []APIKey{}
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("scan api key: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return out, nil
}

// RevokeAPIKey revokes one live key of an account, unless it is its last admin key.
func (s *Store) RevokeAPIKey(ctx context.Context, accountID string, id int64) error {
	var revoked int
	var live bool
	err := s.Pool.QueryRow(ctx, `WITH target AS (
			SELECT id, role FROM api_keys WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL
		), admins AS (
			SELECT count(*) AS n FROM api_keys WHERE account_id = $1 AND role = 'admin' AND revoked_at IS NULL AND id <> $2
		), upd AS (
			UPDATE api_keys k SET revoked_at = now() FROM target, admins
			WHERE k.id = target.id AND (target.role <> 'admin' OR admins.n > 0)
			RETURNING k.id
		)
		SELECT (SELECT count(*) FROM upd), EXISTS (SELECT 1 FROM target)`, accountID, id).Scan(&revoked, &live)
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	switch {
	case revoked == 1:
		return nil
	case live:
		return fmt.Errorf("revoke api key %d: %w", id, ErrLastAdminKey)
	default:
		return fmt.Errorf("revoke api key %d: %w", id, ErrNotFound)
	}
}

// liveOwner keeps the keys of a revoked user out: revoking a person ends their keys too.
const liveOwner = ` AND (user_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = api_keys.user_id AND u.revoked_at IS NULL))`

// AuthenticateKey returns the live key a presented admin key is, and notes its
// use (at most once a minute per key, so reads do not turn into writes).
func (s *Store) AuthenticateKey(ctx context.Context, key string) (APIKey, error) {
	hash := HashKey(key)
	k, err := scanAPIKey(s.Pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`+liveOwner, hash))
	if err != nil {
		return APIKey{}, fmt.Errorf("look up api key: %w", notFound(err))
	}
	if k.LastUsedAt == nil || time.Since(*k.LastUsedAt) > time.Minute {
		if _, err := s.Pool.Exec(ctx, `UPDATE api_keys SET last_used_at = now() WHERE key_hash = $1`, hash); err != nil {
			return APIKey{}, fmt.Errorf("note api key use: %w", err)
		}
	}
	return k, nil
}
