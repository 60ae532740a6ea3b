package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Account is a tenant: its postbacks, campaigns and destinations are its own.
type Account struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Currency string `json:"currency"`
	Timezone string `json:"timezone"`
}

const idAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// RandomID returns an unguessable URL-safe id of n characters.
func RandomID(n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(idAlphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the OS has no entropy: nothing sane to do
		}
		b[i] = idAlphabet[v.Int64()]
	}
	return string(b)
}

// HashKey is how admin keys are stored and looked up.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// CreateAccount creates an account with its built-in FunnelFlux-style "pb"
// integration (closed, with a random token), and returns a new admin key (shown once; only its hash is kept).
func (s *Store) CreateAccount(ctx context.Context, a Account) (Account, string, error) {
	if a.ID == "" {
		a.ID = RandomID(8)
	}
	if a.Currency == "" {
		a.Currency = "USD"
	}
	if a.Timezone == "" {
		a.Timezone = "UTC"
	}
	key := "cr_" + RandomID(32)
	pbToken, err := s.sealSecret(NewIntegrationToken(), tokenPurpose)
	if err != nil {
		return Account{}, "", fmt.Errorf("create account: %w", err)
	}
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO accounts (id, name, currency, timezone) VALUES ($1, $2, $3, $4)`,
			a.ID, a.Name, a.Currency, a.Timezone); err != nil {
			return uniqueConflict(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO api_keys (key_hash, account_id, label) VALUES ($1, $2, 'initial')`, HashKey(key), a.ID); err != nil {
			return err
		}
		// The built-in pb integration is closed like any other: a click id read
		// from a redirect must not be enough to post a conversion.
		_, err := tx.Exec(ctx, `WITH i AS (INSERT INTO integrations (account_id, slug, preset) VALUES ($1, 'pb', 'funnelflux') RETURNING id)
			INSERT INTO integration_tokens (integration_id, secret) SELECT id, $2 FROM i`, a.ID, pbToken)
		return err
	})
	if err != nil {
		return Account{}, "", fmt.Errorf("create account: %w", err)
	}
	return a, key, nil
}

// AddAPIKey stores an additional admin key for an account (the dev stack reuses a
// known key across restarts this way).
func (s *Store) AddAPIKey(ctx context.Context, accountID, key, label string) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO api_keys (key_hash, account_id, label) VALUES ($1, $2, $3) ON CONFLICT (key_hash) DO NOTHING`,
		HashKey(key), accountID, label)
	if err != nil {
		return fmt.Errorf("add api key: %w", err)
	}
	return nil
}

// GetAccount loads one account.
func (s *Store) GetAccount(ctx context.Context, id string) (Account, error) {
	var a Account
	err := s.Pool.QueryRow(ctx, `SELECT id, name, currency, timezone FROM accounts WHERE id = $1`, id).
		Scan(&a.ID, &a.Name, &a.Currency, &a.Timezone)
	if err != nil {
		return Account{}, fmt.Errorf("get account %q: %w", id, notFound(err))
	}
	return a, nil
}

// AccountForKey returns the account an admin key belongs to.
func (s *Store) AccountForKey(ctx context.Context, key string) (string, error) {
	var id string
	err := s.Pool.QueryRow(ctx, `SELECT account_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, HashKey(key)).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("look up api key: %w", notFound(err))
	}
	return id, nil
}

func uniqueConflict(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("%w: %s", ErrConflict, pgErr.ConstraintName)
	}
	return err
}
