package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/secrets"
)

// errNoKeyring is a start-up mistake: a store that keeps secrets needs a key.
var errNoKeyring = errors.New("no secret key configured (CONVRELAY_SECRET_KEY)")

func (s *Store) sealSecret(plain, purpose string) (string, error) {
	if s.Secrets == nil {
		return "", errNoKeyring
	}
	return s.Secrets.Seal(plain, purpose)
}

// openSecret opens a sealed value; a plaintext one (written before encryption or
// by a migration, and not yet sealed by SealSecrets) reads as it is.
func (s *Store) openSecret(v, purpose string) (string, error) {
	if !secrets.IsSealed(v) {
		return v, nil
	}
	if s.Secrets == nil {
		return "", errNoKeyring
	}
	return s.Secrets.Open(v, purpose)
}

func destinationPurpose(key string) string { return "destination_config:" + key }

// sealConfig returns a copy of a destination's config with its secret values
// (as destinations.IsSecretKey classifies them) sealed.
func (s *Store) sealConfig(cfg map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		if v != "" && destinations.IsSecretKey(k) {
			sealed, err := s.sealSecret(v, destinationPurpose(k))
			if err != nil {
				return nil, fmt.Errorf("seal config %q: %w", k, err)
			}
			v = sealed
		}
		out[k] = v
	}
	return out, nil
}

func (s *Store) openConfig(cfg map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		if destinations.IsSecretKey(k) {
			plain, err := s.openSecret(v, destinationPurpose(k))
			if err != nil {
				return nil, fmt.Errorf("open config %q: %w", k, err)
			}
			v = plain
		}
		out[k] = v
	}
	return out, nil
}

// SealSecrets seals every secret still in plaintext (rows from before
// encryption, tokens made by migration 003) and reseals those under an older
// key with the current one, so an old key can be dropped after one start.
// It returns how many values it rewrote.
func (s *Store) SealSecrets(ctx context.Context) (int, error) {
	if s.Secrets == nil {
		return 0, errNoKeyring
	}
	n := 0
	type tok struct {
		id     int64
		secret string
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, secret FROM integration_tokens WHERE revoked_at IS NULL`)
	if err != nil {
		return 0, fmt.Errorf("seal secrets: list tokens: %w", err)
	}
	var toks []tok
	for rows.Next() {
		var t tok
		if err := rows.Scan(&t.id, &t.secret); err != nil {
			rows.Close()
			return 0, fmt.Errorf("seal secrets: scan token: %w", err)
		}
		if !s.Secrets.Current(t.secret) {
			toks = append(toks, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("seal secrets: list tokens: %w", err)
	}
	for _, t := range toks {
		plain, err := s.openSecret(t.secret, tokenPurpose)
		if err != nil {
			return n, fmt.Errorf("seal secrets: token %d: %w", t.id, err)
		}
		sealed, err := s.sealSecret(plain, tokenPurpose)
		if err != nil {
			return n, err
		}
		// Compare-and-set: a concurrent start sealing the same row wins harmlessly.
		if _, err := s.Pool.Exec(ctx, `UPDATE integration_tokens SET secret = $3 WHERE id = $1 AND secret = $2`, t.id, t.secret, sealed); err != nil {
			return n, fmt.Errorf("seal secrets: token %d: %w", t.id, err)
		}
		n++
	}

	type dest struct {
		id  int64
		cfg map[string]string
	}
	rows, err = s.Pool.Query(ctx, `SELECT id, config FROM destinations`)
	if err != nil {
		return n, fmt.Errorf("seal secrets: list destinations: %w", err)
	}
	var dests []dest
	for rows.Next() {
		var d dest
		if err := rows.Scan(&d.id, &d.cfg); err != nil {
			rows.Close()
			return n, fmt.Errorf("seal secrets: scan destination: %w", err)
		}
		for k, v := range d.cfg {
			if v != "" && destinations.IsSecretKey(k) && !s.Secrets.Current(v) {
				dests = append(dests, d)
				break
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("seal secrets: list destinations: %w", err)
	}
	for _, d := range dests {
		plain, err := s.openConfig(d.cfg)
		if err != nil {
			return n, fmt.Errorf("seal secrets: destination %d: %w", d.id, err)
		}
		sealed, err := s.sealConfig(plain)
		if err != nil {
			return n, fmt.Errorf("seal secrets: destination %d: %w", d.id, err)
		}
		if _, err := s.Pool.Exec(ctx, `UPDATE destinations SET config = $3 WHERE id = $1 AND config = $2`, d.id, d.cfg, sealed); err != nil {
			return n, fmt.Errorf("seal secrets: destination %d: %w", d.id, err)
		}
		n++
	}
	m, err := s.resealTOTP(ctx)
	return n + m, err
}
