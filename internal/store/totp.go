package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// totpPurpose binds a sealed TOTP secret to its use (internal/secrets).
const totpPurpose = "user_totp"

// TOTP is a user's second factor as the store keeps it: the secret opened,
// whether it is on (confirmed), and the last time step accepted.
type TOTP struct {
	Secret   string
	Enabled  bool
	LastStep int64
}

// UserTOTP loads and opens a live user's TOTP secret ("" when none was set).
func (s *Store) UserTOTP(ctx context.Context, userID int64) (TOTP, error) {
	var t TOTP
	var sealed string
	err := s.Pool.QueryRow(ctx, `SELECT totp_secret, totp_enabled, totp_last_step FROM users WHERE id = $1 AND revoked_at IS NULL`,
		userID).Scan(&sealed, &t.Enabled, &t.LastStep)
	if err != nil {
		return TOTP{}, fmt.Errorf("user %d totp: %w", userID, notFound(err))
	}
	if sealed != "" {
		if t.Secret, err = s.openSecret(sealed, totpPurpose); err != nil {
			return TOTP{}, fmt.Errorf("user %d totp: %w", userID, err)
		}
	}
	return t, nil
}

// SetPendingTOTP seals and keeps a new secret, not enabled until confirmed.
// A user who already has a second factor on keeps it (ErrConflict).
func (s *Store) SetPendingTOTP(ctx context.Context, userID int64, secret string) error {
	sealed, err := s.sealSecret(secret, totpPurpose)
	if err != nil {
		return fmt.Errorf("seal totp secret: %w", err)
	}
	tag, err := s.Pool.Exec(ctx, `UPDATE users SET totp_secret = $2, totp_last_step = 0
		WHERE id = $1 AND revoked_at IS NULL AND NOT totp_enabled`, userID, sealed)
	if err != nil {
		return fmt.Errorf("set totp: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set totp of user %d: %w", userID, ErrConflict)
	}
	return nil
}

// AcceptTOTPStep records the time step of a code just accepted (and turns the
// factor on when enable): it fails with ErrConflict when that step, or a later
// one, was already used, so a code works once.
func (s *Store) AcceptTOTPStep(ctx context.Context, userID, step int64, enable bool) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE users SET totp_last_step = $2, totp_enabled = totp_enabled OR $3
		WHERE id = $1 AND revoked_at IS NULL AND totp_secret <> '' AND totp_last_step < $2`, userID, step, enable)
	if err != nil {
		return fmt.Errorf("accept totp code: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("totp code of user %d already used: %w", userID, ErrConflict)
	}
	return nil
}

// DisableTOTP removes a user's second factor.
func (s *Store) DisableTOTP(ctx context.Context, accountID string, userID int64) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE users SET totp_secret = '', totp_enabled = false, totp_last_step = 0
		WHERE account_id = $1 AND id = $2`, accountID, userID)
	if err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("disable totp of user %d: %w", userID, ErrNotFound)
	}
	return nil
}

// CreateMFAChallenge starts a sign-in waiting for its code; the returned token
// goes back to the browser, only its SHA-256 is kept. Expired challenges (a
// few at a time) are swept on the way, so the table holds only live ones.
func (s *Store) CreateMFAChallenge(ctx context.Context, userID int64, ttl time.Duration) (string, error) {
	token := "mfa_" + RandomID(32)
	if _, err := s.Pool.Exec(ctx, `WITH swept AS (DELETE FROM user_mfa_challenges WHERE id_hash IN (
			SELECT id_hash FROM user_mfa_challenges WHERE expires_at < now() LIMIT 100))
		INSERT INTO user_mfa_challenges (id_hash, user_id, expires_at) VALUES ($1, $2, now() + $3::interval)`,
		HashKey(token), userID, ttl.String()); err != nil {
		return "", fmt.Errorf("create sign-in challenge: %w", err)
	}
	return token, nil
}

// MFAChallengeUser counts one attempt at a live challenge and returns its live
// user; a challenge past maxAttempts, expired, or of a revoked user is not found.
func (s *Store) MFAChallengeUser(ctx context.Context, token string, maxAttempts int) (User, error) {
	var u User
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var userID int64
		err := tx.QueryRow(ctx, `UPDATE user_mfa_challenges SET attempts = attempts + 1
			WHERE id_hash = $1 AND expires_at > now() AND attempts < $2 RETURNING user_id`, HashKey(token), maxAttempts).Scan(&userID)
		if err != nil {
			return notFound(err)
		}
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 AND revoked_at IS NULL`, userID))
		return notFound(err)
	})
	if err != nil {
		return User{}, fmt.Errorf("sign-in challenge: %w", err)
	}
	return u, nil
}

// EndMFAChallenge spends a challenge (its code was right).
func (s *Store) EndMFAChallenge(ctx context.Context, token string) error {
	if _, err := s.Pool.Exec(ctx, `DELETE FROM user_mfa_challenges WHERE id_hash = $1`, HashKey(token)); err != nil {
		return fmt.Errorf("end sign-in challenge: %w", err)
	}
	return nil
}

// resealTOTP reseals the TOTP secrets sealed under an older key (SealSecrets).
func (s *Store) resealTOTP(ctx context.Context) (int, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, totp_secret FROM users WHERE totp_secret <> ''`)
	if err != nil {
		return 0, fmt.Errorf("seal secrets: list totp: %w", err)
	}
	type row struct {
		id     int64
		sealed string
	}
	var stale []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.sealed); err != nil {
			rows.Close()
			return 0, fmt.Errorf("seal secrets: scan totp: %w", err)
		}
		if !s.Secrets.Current(r.sealed) {
			stale = append(stale, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("seal secrets: list totp: %w", err)
	}
	n := 0
	for _, r := range stale {
		plain, err := s.openSecret(r.sealed, totpPurpose)
		if err != nil {
			return n, fmt.Errorf("seal secrets: totp of user %d: %w", r.id, err)
		}
		sealed, err := s.sealSecret(plain, totpPurpose)
		if err != nil {
			return n, err
		}
		if _, err := s.Pool.Exec(ctx, `UPDATE users SET totp_secret = $3 WHERE id = $1 AND totp_secret = $2`, r.id, r.sealed, sealed); err != nil {
			return n, fmt.Errorf("seal secrets: totp of user %d: %w", r.id, err)
		}
		n++
	}
	return n, nil
}
