package store_test

import (
	"context"
	"testing"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// managedDestination is the postback destination a campaign made from its
// traffic_source_postback.
func managedDestination(t *testing.T, st *store.Store, accountID string, campaignID int64) store.Destination {
	t.Helper()
	ds, err := st.ListDestinations(context.Background(), accountID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.CampaignID != nil && *d.CampaignID == campaignID && d.Config["managed_by"] == "campaign" {
			return d
		}
	}
	t.Fatalf("campaign %d has no traffic-source destination", campaignID)
	return store.Destination{}
}

// A campaign's traffic-source postback takes the approval by default, as a
// hand-made postback destination does, or the life events the campaign names.
func TestCampaignTrafficSourceFireOn(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	c, err := st.CreateCampaign(ctx, store.Campaign{AccountID: a.ID, CampaignSettings: store.CampaignSettings{Name: "c",
		OfferURL: "https://o.example/", TrafficSourcePostback: "https://ts.example/pb?p={payout}"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.TrafficSourceFireOn.String() != "approved" {
		t.Errorf("campaign default %q, want approved", c.TrafficSourceFireOn)
	}
	if d := managedDestination(t, st, a.ID, c.ID); d.FireOn != destinations.DefaultFireOn(destinations.TypePostback) {
		t.Errorf("destination takes %q, want a postback destination's default %q", d.FireOn, destinations.DefaultFireOn(destinations.TypePostback))
	}
	c.TrafficSourceFireOn = destinations.FireOnOf(destinations.LifeApproved, destinations.LifeValueChange)
	if _, err := st.UpdateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if d := managedDestination(t, st, a.ID, c.ID); d.FireOn.String() != "approved,value_change" {
		t.Errorf("after the edit the destination takes %q", d.FireOn)
	}
}

// Migration 014 moves campaign-managed destinations stored with fire_on =
// first to the approval; hand-made ones and other sets keep theirs, and each
// campaign shows what its destination takes.
func TestMigration014MovesCampaignPostbacksToTheApproval(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	mk := func(name string) store.Campaign {
		c, err := st.CreateCampaign(ctx, store.Campaign{AccountID: a.ID, CampaignSettings: store.CampaignSettings{Name: name,
			OfferURL: "https://o.example/", TrafficSourcePostback: "https://ts.example/" + name + "?p={payout}"}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old, chosen := mk("old"), mk("chosen")
	// Back to the schema before 014, with the rows as createCampaign wrote them.
	if _, err := st.Pool.Exec(ctx, `DROP TABLE campaign_cap_usage;
		ALTER TABLE campaigns DROP COLUMN traffic_source_fire_on, DROP COLUMN payout_rule, DROP COLUMN payout_amount,
			DROP COLUMN payout_currency, DROP COLUMN caps, DROP COLUMN cap_action;
		ALTER TABLE integrations DROP COLUMN status_map, DROP COLUMN unknown_status;
		DELETE FROM schema_migrations WHERE version = 14`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE destinations SET fire_on = 'first' WHERE campaign_id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE destinations SET fire_on = 'first,rejected' WHERE campaign_id = $1`, chosen.ID); err != nil {
		t.Fatal(err)
	}
	hand, err := st.CreateDestination(ctx, store.Destination{AccountID: a.ID, Type: "postback", Name: "hand",
		Config: map[string]string{"url": "https://ts.example/hand"}, FireOn: destinations.FireOnOf(destinations.LifeFirst), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, st.Pool); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    store.Campaign
		want string
	}{{old, "approved"}, {chosen, "first,rejected"}} {
		if d := managedDestination(t, st, a.ID, tc.c.ID); d.FireOn.String() != tc.want {
			t.Errorf("%s: destination takes %q, want %q", tc.c.Name, d.FireOn, tc.want)
		}
		got, err := st.GetCampaign(ctx, a.ID, tc.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.TrafficSourceFireOn.String() != tc.want {
			t.Errorf("%s: campaign shows %q, want %q", tc.c.Name, got.TrafficSourceFireOn, tc.want)
		}
	}
	if d, err := st.GetDestination(ctx, a.ID, hand.ID); err != nil || d.FireOn.String() != "first" {
		t.Errorf("hand-made destination: %v %v, want first kept", d.FireOn, err)
	}
}
