package store_test

import (
	"context"
	"testing"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// Migration 004 turns fire_on into a set without changing what existing
// destinations receive.
func TestMigration004KeepsFireOnBehaviour(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	// Back to the schema before 004, with rows as 001 allowed them.
	if _, err := st.Pool.Exec(ctx, `ALTER TABLE destinations DROP CONSTRAINT destinations_fire_on_set;
		DELETE FROM schema_migrations WHERE version = 4`); err != nil {
		t.Fatal(err)
	}
	old := map[string][2]string{ // name -> type, fire_on before
		"meta-first": {"meta", "first"}, "meta-approved": {"meta", "approved"},
		"hook-first": {"webhook", "first"}, "hook-approved": {"webhook", "approved"},
		"pb-odd": {"postback", "on_approval"},
	}
	for name, v := range old {
		if _, err := st.Pool.Exec(ctx, `INSERT INTO destinations (account_id, type, name, fire_on) VALUES ($1, $2, $3, $4)`,
			a.ID, v[0], name, v[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Migrate(ctx, st.Pool); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"meta-first": "first", "meta-approved": "approved",
		"hook-first": "first,rejected", "hook-approved": "approved,rejected",
		"pb-odd": "first", // anything but approved behaved as first
	}
	ds, err := st.ListDestinations(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != len(want) {
		t.Fatalf("%d destinations", len(ds))
	}
	for _, d := range ds {
		if got := d.FireOn.String(); got != want[d.Name] {
			t.Errorf("%s: fire_on %q, want %q", d.Name, got, want[d.Name])
		}
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE destinations SET fire_on = 'sometimes'`); err == nil {
		t.Error("the column accepts a value that is not a set of life events")
	}
}

func TestDestinationFireOnDefaultsAndRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	g, err := st.CreateDestination(ctx, store.Destination{AccountID: a.ID, Type: "google_ads", Name: "g", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if g.FireOn != destinations.DefaultFireOn(destinations.TypeGoogleAds) {
		t.Errorf("google_ads default %v", g.FireOn)
	}
	g.FireOn = destinations.FireOnOf(destinations.LifeRejected, destinations.LifeApproved)
	if _, err := st.UpdateDestination(ctx, g); err != nil {
		t.Fatal(err)
	}
	back, err := st.GetDestination(ctx, a.ID, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if back.FireOn.String() != "approved,rejected" {
		t.Errorf("stored %q", back.FireOn)
	}
}
