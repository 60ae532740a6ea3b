package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/workflows"
)

// modeFixture is the workflow fixture with an integration "net" in duplicate
// mode mode; its postbacks arrive through it.
func modeFixture(t *testing.T, mode string) *fixture {
	t.Helper()
	f := newFixture(t)
	if _, err := f.st.CreateIntegration(context.Background(), store.Integration{AccountID: f.account.ID, Slug: "net",
		Preset: "funnelflux", Open: true, DuplicateMode: mode}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) via(slug, query string) workflows.PostbackSignal {
	s := f.postback(query)
	s.Integration = slug
	return s
}

func (f *fixture) conversions(txID string) []store.Conversion {
	f.t.Helper()
	list, err := f.st.ListConversions(context.Background(), f.account.ID, store.ConversionFilter{TransactionID: txID, Limit: 10})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

// webhookValues lists the value and type of each webhook event received.
func (f *fixture) webhookValues() []string {
	var out []string
	for _, b := range f.hook.received() {
		c, _ := b["conversion"].(map[string]any)
		out = append(out, b["type"].(string)+" "+c["status"].(string)+" "+c["value"].(string))
	}
	return out
}

func TestDuplicateModeAddSumsTheValues(t *testing.T) {
	f := modeFixture(t, "add")
	f.signalAt(time.Hour, f.via("net", "hit=h1&tx=A1&rev=10&status=approved"))
	f.signalAt(2*time.Hour, f.via("net", "hit=h1&tx=A1&rev=10&status=approved"))
	f.signalAt(3*time.Hour, f.via("net", "hit=h1&tx=A1&status=approved")) // nothing to add
	f.run("A1", workflows.Input{})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	c := f.conversion("A1")
	if c.Status != "approved" || !c.Value.Equal(mustDec("20")) || len(c.History) != 2 {
		t.Fatalf("conversion = %s %s, %d history entries; want approved 20 with two", c.Status, c.Value, len(c.History))
	}
	if o := f.outcomes("A1"); o["accepted"] != 2 || o["duplicate"] != 1 {
		t.Fatalf("outcomes = %v, want 2 accepted and 1 duplicate", o)
	}
	got := f.webhookValues()
	if len(got) != 2 || got[0] != "conversion approved 10" || got[1] != "conversion approved 20" {
		t.Fatalf("webhook received %v, want the approval at 10 then the value change to 20", got)
	}
}

func TestDuplicateModeNewMakesAConversionPerPostback(t *testing.T) {
	f := modeFixture(t, "new")
	f.signalAt(time.Hour, f.via("net", "hit=h1&tx=N1&rev=10&status=approved"))
	f.signalAt(2*time.Hour, f.via("net", "hit=h1&tx=N1&rev=10&status=approved"))
	f.signalAt(3*time.Hour, f.via("net", "hit=h1&tx=N1&rev=15&status=approved"))
	f.signalAt(4*time.Hour, f.via("net", "hit=h1&tx=N1&status=rejected")) // the latest one is taken back
	f.run("N1", workflows.Input{})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	list := f.conversions("N1") // newest first
	if len(list) != 3 {
		t.Fatalf("conversions = %d, want 3", len(list))
	}
	want := []struct {
		rebill int
		status string
		value  string
	}{{2, "rejected", "15"}, {1, "approved", "10"}, {0, "approved", "10"}}
	for i, w := range want {
		c := list[i]
		if c.Rebill != w.rebill || c.Status != w.status || !c.Value.Equal(mustDec(w.value)) || c.TxKey != "N1" ||
			c.WorkflowID != list[2].WorkflowID {
			t.Fatalf("conversion %d = rebill %d %s %s key %s; want rebill %d %s %s of transaction N1",
				i, c.Rebill, c.Status, c.Value, c.TxKey, w.rebill, w.status, w.value)
		}
	}
	got := f.webhookValues()
	if len(got) != 4 || got[0] != "conversion approved 10" || got[1] != "conversion approved 10" ||
		got[2] != "conversion approved 15" || got[3] != "reversal rejected 15" {
		t.Fatalf("webhook received %v, want three conversions and the reversal of the last", got)
	}
	ids := map[any]bool{}
	for _, b := range f.hook.received() {
		ids[b["id"]] = true
	}
	if len(ids) != 4 {
		t.Fatalf("webhook ids %v: each conversion's event needs its own idempotency key", ids)
	}
}

func TestDuplicateModeEditLastValueWins(t *testing.T) {
	f := modeFixture(t, "edit")
	f.signalAt(time.Hour, f.via("net", "hit=h1&tx=E1&rev=10&status=approved"))
	f.signalAt(2*time.Hour, f.via("net", "hit=h1&tx=E1&rev=7&status=approved"))
	f.signalAt(3*time.Hour, f.via("net", "hit=h1&tx=E1&rev=7&status=approved"))
	// The same value under a new event name: an edit (under ignore, a duplicate).
	f.signalAt(4*time.Hour, f.via("net", "hit=h1&tx=E1&rev=7&status=approved&event_name=Deposit"))
	f.run("E1", workflows.Input{})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	c := f.conversion("E1")
	if c.Status != "approved" || !c.Value.Equal(mustDec("7")) || c.EventName != "Deposit" {
		t.Fatalf("conversion = %s %s %s, want approved 7 Deposit", c.Status, c.Value, c.EventName)
	}
	if o := f.outcomes("E1"); o["accepted"] != 3 || o["duplicate"] != 1 {
		t.Fatalf("outcomes = %v, want 3 accepted and 1 duplicate", o)
	}
	if got := f.webhookValues(); len(got) != 2 || got[1] != "conversion approved 7" {
		t.Fatalf("webhook received %v, want the approval then the value change to 7", got)
	}
}

func TestDuplicateModeIgnoreKeepsTheDuplicate(t *testing.T) {
	f := modeFixture(t, "ignore")
	f.signalAt(time.Hour, f.via("net", "hit=h1&tx=I1&rev=10&status=approved"))
	f.signalAt(2*time.Hour, f.via("net", "hit=h1&tx=I1&rev=10&status=approved"))
	f.run("I1", workflows.Input{})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if c := f.conversion("I1"); !c.Value.Equal(mustDec("10")) || len(c.History) != 1 {
		t.Fatalf("conversion = %s with %d history entries, want 10 with one", c.Value, len(c.History))
	}
	if o := f.outcomes("I1"); o["accepted"] != 1 || o["duplicate"] != 1 {
		t.Fatalf("outcomes = %v, want 1 accepted and 1 duplicate", o)
	}
	if got := f.webhookValues(); len(got) != 1 {
		t.Fatalf("webhook received %v, want one event", got)
	}
}

// TestCampaignDuplicateModeWins: the attributed campaign's mode overrides its
// integration's.
func TestCampaignDuplicateModeWins(t *testing.T) {
	f := modeFixture(t, "ignore")
	ctx := context.Background()
	cp, err := f.st.CreateCampaign(ctx, store.Campaign{AccountID: f.account.ID,
		CampaignSettings: store.CampaignSettings{Name: "c", OfferURL: "https://offer.example/", DuplicateMode: "add"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.InsertClick(ctx, store.Click{ID: "h1", AccountID: f.account.ID, CampaignID: &cp.ID}); err != nil {
		t.Fatal(err)
	}
	f.signalAt(time.Hour, f.via("net", "hit=h1&tx=C1&rev=10&status=approved"))
	f.signalAt(2*time.Hour, f.via("net", "hit=h1&tx=C1&rev=5&status=approved"))
	f.run("C1", workflows.Input{})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if c := f.conversion("C1"); !c.Value.Equal(mustDec("15")) || !c.Attributed {
		t.Fatalf("conversion = %s attributed %v, want 15 (the campaign's add wins over the integration's ignore)", c.Value, c.Attributed)
	}
}
