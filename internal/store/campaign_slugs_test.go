package store_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// Migration 019 gives campaigns made before it a random slug each: the
// database is put back as it was before 019 (campaigns without slugs), and
// migrating again backfills them.
func TestMigration019BackfillsCampaignSlugs(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	for i := 0; i < 3; i++ {
		newCampaign(t, st, a.ID, "", 0)
	}
	if _, err := st.Pool.Exec(ctx, `DROP TABLE key_sessions; ALTER TABLE campaigns DROP COLUMN slug;
		DELETE FROM schema_migrations WHERE version = 19`); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, st.Pool); err != nil {
		t.Fatal(err)
	}
	cps, err := st.ListCampaigns(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for _, cp := range cps {
		if !hex32.MatchString(cp.Slug) || seen[cp.Slug] {
			t.Fatalf("campaign %d slug %q: want 32 random hex digits, distinct", cp.ID, cp.Slug)
		}
		seen[cp.Slug] = true
	}
	if len(seen) != 3 {
		t.Fatalf("%d campaigns with slugs, want 3", len(seen))
	}
}
