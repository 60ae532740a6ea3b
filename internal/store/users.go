package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is a person of an account. The password hash never leaves the store
// except to the sign-in check (UserForSignIn).
type User struct {
	ID              int64      `json:"id"`
	AccountID       string     `json:"account_id"`
	Email           string     `json:"email"`
	Role            string     `json:"role"`
	Campaigns       []int64    `json:"campaign_ids"`
	Invited         bool       `json:"invited"` // invitation not yet accepted
	InviteExpiresAt *time.Time `json:"invite_expires_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	RevokedAt       *time.Time `json:"revoked_at,omitempty"`
	TwoFactor       bool       `json:"two_factor"` // a TOTP second factor is on
	passwordHash    string
}

// PasswordHash is the user's bcrypt hash ("" before the invitation is accepted).
func (u User) PasswordHash() string { return u.passwordHash }

const userColumns = `id, account_id, email, role, campaign_ids, password_hash, invite_expires_at, created_at, revoked_at, totp_enabled`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.AccountID, &u.Email, &u.Role, &u.Campaigns, &u.passwordHash, &u.InviteExpiresAt, &u.CreatedAt, &u.RevokedAt, &u.TwoFactor)
	u.Invited = u.passwordHash == ""
	return u, err
}

// InviteUser creates a user waiting for its invitation to be accepted and
// returns the one-time invitation token (only its SHA-256 is kept). Inviting
// an email again (not yet accepted, or revoked) renews the invitation.
func (s *Store) InviteUser(ctx context.Context, u User, ttl time.Duration) (User, string, error) {
	token := "inv_" + RandomID(32)
	if u.Campaigns == nil {
		u.Campaigns = []int64{}
	}
	out, err := scanUser(s.Pool.QueryRow(ctx, `INSERT INTO users (account_id, email, role, campaign_ids, invite_hash, invite_expires_at)
		VALUES ($1, lower($2), $3, $4, $5, now() + $6::interval)
		ON CONFLICT (account_id, email) DO UPDATE SET role = EXCLUDED.role, campaign_ids = EXCLUDED.campaign_ids,
			invite_hash = EXCLUDED.invite_hash, invite_expires_at = EXCLUDED.invite_expires_at, password_hash = '', revoked_at = NULL
			WHERE users.password_hash = '' OR users.revoked_at IS NOT NULL
		RETURNING `+userColumns, u.AccountID, u.Email, u.Role, u.Campaigns, HashKey(token), ttl.String()))
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return User{}, "", fmt.Errorf("invite %s: %w", u.Email, ErrConflict)
		}
		return User{}, "", fmt.Errorf("invite user: %w", err)
	}
	return out, token, nil
}

// AcceptInvite sets the password (already hashed) of the user a live
// invitation token names, and spends the token.
func (s *Store) AcceptInvite(ctx context.Context, token, passwordHash string) (User, error) {
	u, err := scanUser(s.Pool.QueryRow(ctx, `UPDATE users SET password_hash = $2, invite_hash = NULL, invite_expires_at = NULL
		WHERE invite_hash = $1 AND invite_expires_at > now() AND revoked_at IS NULL
		RETURNING `+userColumns, HashKey(token), passwordHash))
	if err != nil {
		return User{}, fmt.Errorf("accept invitation: %w", notFound(err))
	}
	return u, nil
}

// UsersForSignIn returns the live users with this email that have a password
// (one per account they belong to).
func (s *Store) UsersForSignIn(ctx context.Context, email string) ([]User, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE email = lower($1) AND revoked_at IS NULL AND password_hash <> '' ORDER BY id`, email)
	if err != nil {
		return nil, fmt.Errorf("users for sign-in: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("scan user: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// ListUsers lists an account's users, revoked ones included.
func (s *Store) ListUsers(ctx context.Context, accountID string) ([]User, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("scan user: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// GetUser loads one user of an account.
func (s *Store) GetUser(ctx context.Context, accountID string, id int64) (User, error) {
	u, err := scanUser(s.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE account_id = $1 AND id = $2`, accountID, id))
	if err != nil {
		return User{}, fmt.Errorf("get user %d: %w", id, notFound(err))
	}
	return u, nil
}

// RevokeUser revokes a user, ends every session of theirs and, through
// liveOwner, every key of theirs, at once.
func (s *Store) RevokeUser(ctx context.Context, accountID string, id int64) error {
	return s.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET revoked_at = now(), invite_hash = NULL WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL`, accountID, id)
		if err != nil {
			return fmt.Errorf("revoke user: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("revoke user %d: %w", id, ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_sessions WHERE user_id = $1`, id); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return nil
	})
}

// CreateSession starts a console session of a user; the returned id goes in
// the cookie, only its SHA-256 is kept.
func (s *Store) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, error) {
	id := "ses_" + RandomID(32)
	if _, err := s.Pool.Exec(ctx, `INSERT INTO user_sessions (id_hash, user_id, expires_at) VALUES ($1, $2, now() + $3::interval)`,
		HashKey(id), userID, ttl.String()); err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return id, nil
}

// SessionUser returns the live user of a live session.
func (s *Store) SessionUser(ctx context.Context, sessionID string) (User, error) {
	u, err := scanUser(s.Pool.QueryRow(ctx, `SELECT `+"u."+strings.ReplaceAll(userColumns, ", ", ", u.")+` FROM user_sessions x JOIN users u ON u.id = x.user_id
		WHERE x.id_hash = $1 AND x.expires_at > now() AND u.revoked_at IS NULL`, HashKey(sessionID)))
	if err != nil {
		return User{}, fmt.Errorf("session: %w", notFound(err))
	}
	return u, nil
}

// EndSession ends one session (sign-out).
func (s *Store) EndSession(ctx context.Context, sessionID string) error {
	_, err := s.Pool.Exec(ctx, `DELETE FROM user_sessions WHERE id_hash = $1`, HashKey(sessionID))
	return err
}

// EndSessions ends every session of a user (sign-out everywhere) and returns how many.
func (s *Store) EndSessions(ctx context.Context, userID int64) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `DELETE FROM user_sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
