// Package store is Convrelay's PostgreSQL layer (pgx): numbered migrations and
// files of queries grouped by what they serve (a table, or a use that spans
// several: hand-overs, backfills, reports, erasure). Every query is parameterised.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/convrelay/convrelay/internal/secrets"
)

// ErrNotFound is returned when a looked-up row does not exist (or belongs to another account).
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a unique key is already taken.
var ErrConflict = errors.New("already exists")

// Store wraps the connection pool.
type Store struct {
	Pool *pgxpool.Pool
	// Instance names this process in dispatch claims.
	Instance string
	// Secrets seals secrets at rest (integration tokens, destination
	// credentials); without it those writes and reads fail.
	Secrets *secrets.Keyring
}

// Open connects to PostgreSQL and checks the connection.
func Open(ctx context.Context, url string, maxConns int32) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping PostgreSQL: %w", err)
	}
	return &Store{Pool: pool, Instance: RandomID(12)}, nil
}

// Close releases the pool.
func (s *Store) Close() { s.Pool.Close() }

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error { return s.Pool.Ping(ctx) }

// InTx runs fn in a transaction, committing when it returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
