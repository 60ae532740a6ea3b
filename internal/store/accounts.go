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
	ID       string
	Name     string
	Currency string
	Timezone string
	// DefaultPhoneRegion (ISO 3166 alpha-2, or empty) is where a phone number
	// without a country code is taken to be from.
	DefaultPhoneRegion string
	// EEAWithoutConsent is what happens to a conversion from an EEA country
	// without a consent signal: "send" (no consent fields), "denied" (sent as
	// denied) or "skip" (not sent to ad platforms). destinations.EEAPolicy.
	EEAWithoutConsent string
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
		if _, err := tx.Exec(ctx, `INSERT INTO accounts (id, name, currency, timezone, default_phone_region) VALUES ($1, $2, $3, $4, $5)`,
			a.ID, a.Name, a.Currency, a.Timezone, a.DefaultPhoneRegion); err != nil {
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
	err := s.Pool.QueryRow(ctx, `SELECT id, name, currency, timezone, default_phone_region, eea_without_consent FROM accounts WHERE id = $1`, id).
		Scan(&a.ID, &a.Name, &a.Currency, &a.Timezone, &a.DefaultPhoneRegion, &a.EEAWithoutConsent)
	if err != nil {
		return Account{}, fmt.Errorf("get account %q: %w", id, notFound(err))
	}
	return a, nil
}

// AccountSettings are the settings an account's owner changes through the admin API.
type AccountSettings struct {
	Currency           string
	Timezone           string
	DefaultPhoneRegion string
	EEAWithoutConsent  string // send, denied or skip; "" keeps what is stored
}

// UpdateAccountSettings stores an account's settings (validated by the caller). When
// the currency changes, every conversion's account-currency value is cleared in the
// same transaction, so no report ever adds values of two account currencies; they are
// converted again by ConvertPending (the caller runs it; the rates schedule would too).
func (s *Store) UpdateAccountSettings(ctx context.Context, id string, set AccountSettings) (Account, error) {
	var a Account
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var old string
		if err := tx.QueryRow(ctx, `SELECT currency FROM accounts WHERE id = $1 FOR UPDATE`, id).Scan(&old); err != nil {
			return notFound(err)
		}
		// "" keeps the stored setting, so a caller that does not know it changes nothing.
		if err := tx.QueryRow(ctx, `UPDATE accounts SET currency = $2, timezone = $3, default_phone_region = $4,
				eea_without_consent = CASE WHEN $5 = '' THEN eea_without_consent ELSE $5 END
			WHERE id = $1 RETURNING id, name, currency, timezone, default_phone_region, eea_without_consent`,
			id, set.Currency, set.Timezone, set.DefaultPhoneRegion, set.EEAWithoutConsent).
			Scan(&a.ID, &a.Name, &a.Currency, &a.Timezone, &a.DefaultPhoneRegion, &a.EEAWithoutConsent); err != nil {
			return err
		}
		if old == set.Currency {
			return nil
		}
		_, err := tx.Exec(ctx, `UPDATE conversions SET value_account = NULL, rate = NULL, rate_date = NULL, account_currency = $2
			WHERE account_id = $1`, id, set.Currency)
		return err
	})
	if err != nil {
		return Account{}, fmt.Errorf("update settings of account %q: %w", id, err)
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
