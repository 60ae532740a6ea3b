package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// Migration 003 gives every existing integration a token (keeping one it had),
// and the next start seals them: an installation upgraded from before is closed.
func TestMigration003GivesExistingIntegrationsAToken(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Server(t)
	name := fmt.Sprintf("m003_%d", os.Getpid())
	if err := srv.EnsureDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, srv.URL(name), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Secrets = pgtest.Keyring(t)
	core, err := os.ReadFile("migrations/001_core.sql")
	if err != nil {
		t.Fatal(err)
	}
	// The database as version 1 left it, with two integrations.
	for _, sql := range []string{string(core),
		`CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		`INSERT INTO schema_migrations (version, name) VALUES (1, '001_core.sql')`,
		`INSERT INTO accounts (id, name) VALUES ('acct', 'old')`,
		`INSERT INTO integrations (account_id, slug, preset) VALUES ('acct', 'pb', 'funnelflux')`,
		`INSERT INTO integrations (account_id, slug, preset, token) VALUES ('acct', 'net', 'custom', 'kept-token-0123')`,
	} {
		if _, err := st.Pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%.60s: %v", sql, err)
		}
	}
	if err := store.Migrate(ctx, st.Pool); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SealSecrets(ctx); err != nil {
		t.Fatal(err)
	}
	pb, err := st.GetIntegration(ctx, "acct", "pb")
	if err != nil || pb.Open || len(pb.Tokens) != 1 || len(pb.Tokens[0].Secret) < 40 {
		t.Fatalf("pb after migration: open=%v tokens=%d %v", pb.Open, len(pb.Tokens), err)
	}
	net, err := st.GetIntegration(ctx, "acct", "net")
	if err != nil || net.Open || len(net.Tokens) != 1 || net.Tokens[0].Secret != "kept-token-0123" {
		t.Fatalf("net after migration: %+v %v", net, err)
	}
}
