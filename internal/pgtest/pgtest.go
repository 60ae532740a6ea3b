// Package pgtest gives tests a real PostgreSQL: one throwaway cluster per test
// binary, a template database migrated once, and a fresh database cloned from it
// for each test (no mocks of the database).
package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convrelay/convrelay/internal/pgserver"
	"github.com/convrelay/convrelay/internal/secrets"
	"github.com/convrelay/convrelay/internal/store"
)

const templateDB = "convrelay_template"

var (
	once    sync.Once
	server  *pgserver.Server
	baseDir string
	initErr error
	counter atomic.Int64
)

// Server returns the shared test cluster, starting it on first use.
func Server(t testing.TB) *pgserver.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL (skipped with -short)")
	}
	once.Do(start)
	if initErr != nil {
		t.Fatalf("start test PostgreSQL: %v", initErr)
	}
	return server
}

func start() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	baseDir, initErr = os.MkdirTemp("", "convrelay-pgtest-")
	if initErr != nil {
		return
	}
	server, initErr = pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(baseDir, "cluster"), Fast: true})
	if initErr != nil {
		return
	}
	if initErr = server.EnsureDatabase(ctx, templateDB); initErr != nil {
		return
	}
	st, err := store.Open(ctx, server.URL(templateDB), 2)
	if err != nil {
		initErr = err
		return
	}
	defer st.Close()
	initErr = store.Migrate(ctx, st.Pool)
}

// Stop shuts the shared cluster down; call it from TestMain after m.Run.
func Stop() {
	if server != nil {
		_ = server.Stop()
	}
	if baseDir != "" {
		_ = os.RemoveAll(baseDir)
	}
}

// NewDatabase creates a fresh migrated database for one test and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	srv := Server(t)
	ctx := context.Background()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), counter.Add(1))
	conn, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		t.Fatalf("connect to test cluster: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+templateDB); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	return srv.URL(name)
}

// NewStore opens a store on a fresh migrated database, closed when the test ends.
func NewStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), NewDatabase(t), 20)
	if err != nil {
		t.Fatalf("open test store: %v", err)
	}
	t.Cleanup(st.Close)
	st.Secrets = Keyring(t)
	return st
}

// SecretKey is the fixed key test stores seal their secrets with (never used
// outside tests).
const SecretKey = "dGVzdC1vbmx5LXNlY3JldC1rZXktMzItYnl0ZXMhISE="

// Keyring returns the test keyring built from SecretKey.
func Keyring(t testing.TB) *secrets.Keyring {
	t.Helper()
	k, err := secrets.New(SecretKey)
	if err != nil {
		t.Fatalf("test keyring: %v", err)
	}
	return k
}

// Main runs a package's tests and stops the shared cluster afterwards; a test
// package that uses pgtest calls it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}
