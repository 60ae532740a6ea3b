package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/devstack"
)

// dupScenario is a scenario whose network posts through its own open
// integration in duplicate mode mode, with the given fakes as the campaign's
// destinations on their default life events.
func dupScenario(t *testing.T, shared *stack, name, mode string, fakes ...*fakePlatform) (*scenario, string) {
	t.Helper()
	sc := newScenario(t, shared, name)
	slug := "dup-" + name
	code, out := sc.st.admin("POST", "/integrations", fmt.Sprintf(`{"slug":%q,"open":true,"duplicate_mode":%q}`, slug, mode))
	if code != http.StatusCreated || out["duplicate_mode"] != mode {
		t.Fatalf("create integration in mode %s: %d %v", mode, code, out)
	}
	for _, f := range fakes {
		sc.destination(f, "")
	}
	return sc, slug
}

// send posts an approval of tx at value through the scenario's integration
// (extra: more parameters, as name, value pairs).
func (sc *scenario) send(slug, tx, value string, extra ...string) {
	sc.t.Helper()
	q := url.Values{"click_id": {sc.clickID}, "transaction_id": {tx}, "commission": {value}, "currency": {"USD"},
		"status": {"approved"}, "email": {custEmail}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	code, body := sc.st.call("GET", "/"+sc.st.info.AccountID+"/collect/"+slug+"?"+q.Encode(), "", "")
	if code != http.StatusOK || body["status"] != "accepted" {
		sc.t.Fatalf("postback %s %s answered %d %v", tx, value, code, body)
	}
}

// TestDuplicateModes: what a repeated approval of one transaction does in each
// duplicate mode, through the real stack and fake platforms (docs/rules.md).
func TestDuplicateModes(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, nil)

	// add: two postbacks of 10 make one conversion of 20; Google Ads gets the
	// upload at 10 and a restatement to 20, the webhook the approval and the
	// new value, Meta (which cannot take a value change) the first event only.
	t.Run("AddSumsIntoOneConversion", func(t *testing.T) {
		t.Parallel()
		gads, hook, meta := newFake(t, "google_ads"), newFake(t, "webhook"), newFake(t, "meta")
		sc, slug := dupScenario(t, st, "add", "add", gads, hook, meta)
		st := st.forTest(t)
		const tx = "TX-DUP-ADD"
		sc.send(slug, tx, "10")
		st.waitDeliveries(t, tx, 3, 60*time.Second)
		sc.send(slug, tx, "10")
		st.waitDeliveries(t, tx, 5, 60*time.Second)
		st.waitProcessed(t, tx, 2)
		time.Sleep(2 * time.Second) // a stray request would arrive by now
		if cs := st.conversions(tx); len(cs) != 1 || cs[0]["value"] != "20" || cs[0]["status"] != "approved" {
			t.Fatalf("conversions %v, want one approved at 20", cs)
		}
		for _, tc := range []struct {
			f    *fakePlatform
			want []string
		}{
			{gads, []string{"200 upload 10", "200 RESTATEMENT 20"}},
			{hook, []string{"200 conversion approved 10", "200 conversion approved 20"}},
			{meta, []string{"200 10"}},
		} {
			tc.f.assertValid(t)
			if got := tc.f.summaries(); !slices.Equal(got, tc.want) {
				t.Errorf("%s received %q, want %q", tc.f.kind, got, tc.want)
			}
		}
	})

	// new: each approval with a value is its own conversion of the transaction,
	// told to every destination as a new conversion with its own event id.
	t.Run("NewMakesTwoConversions", func(t *testing.T) {
		t.Parallel()
		hook, meta := newFake(t, "webhook"), newFake(t, "meta")
		sc, slug := dupScenario(t, st, "new", "new", hook, meta)
		st := st.forTest(t)
		const tx = "TX-DUP-NEW"
		sc.send(slug, tx, "10")
		st.waitDeliveries(t, tx, 2, 60*time.Second)
		sc.send(slug, tx, "15")
		st.waitDeliveries(t, tx, 4, 60*time.Second)
		time.Sleep(2 * time.Second)
		cs := st.conversions(tx) // newest first
		if len(cs) != 2 || cs[0]["value"] != "15" || cs[0]["rebill"] != float64(1) || cs[1]["value"] != "10" ||
			cs[1]["rebill"] != float64(0) || cs[0]["workflow_id"] != cs[1]["workflow_id"] {
			t.Fatalf("conversions %v, want 10 and 15 of one transaction (one workflow)", cs)
		}
		for _, tc := range []struct {
			f    *fakePlatform
			want []string
		}{
			{hook, []string{"200 conversion approved 10", "200 conversion approved 15"}},
			{meta, []string{"200 10", "200 15"}},
		} {
			tc.f.assertValid(t)
			if got := tc.f.summaries(); !slices.Equal(got, tc.want) {
				t.Errorf("%s received %q, want %q", tc.f.kind, got, tc.want)
			}
			if ids := tc.f.conversions(); len(ids) != 2 {
				t.Errorf("%s counted %d distinct event ids, want 2 conversions", tc.f.kind, len(ids))
			}
		}
	})

	// edit: the last value wins, and so does an event name sent with the
	// same value (which ignore would call a duplicate).
	t.Run("EditReplacesTheValue", func(t *testing.T) {
		t.Parallel()
		hook := newFake(t, "webhook")
		sc, slug := dupScenario(t, st, "edit", "edit", hook)
		st := st.forTest(t)
		const tx = "TX-DUP-EDIT"
		sc.send(slug, tx, "10")
		st.waitDeliveries(t, tx, 1, 60*time.Second)
		sc.send(slug, tx, "7")
		st.waitDeliveries(t, tx, 2, 60*time.Second)
		sc.send(slug, tx, "7", "event_name", "Deposit")
		st.waitProcessed(t, tx, 3)
		if cs := st.conversions(tx); len(cs) != 1 || cs[0]["value"] != "7" || cs[0]["event_name"] != "Deposit" {
			t.Fatalf("conversions %v, want one at 7, event Deposit", cs)
		}
		if got, want := hook.summaries(), []string{"200 conversion approved 10", "200 conversion approved 7"}; !slices.Equal(got, want) {
			t.Errorf("webhook received %q, want %q", got, want)
		}
	})

	// ignore (the default): the same approval again is a duplicate.
	t.Run("IgnoreStaysADuplicate", func(t *testing.T) {
		t.Parallel()
		hook := newFake(t, "webhook")
		sc, slug := dupScenario(t, st, "ignore", "ignore", hook)
		st := st.forTest(t)
		const tx = "TX-DUP-IGNORE"
		sc.send(slug, tx, "10")
		st.waitDeliveries(t, tx, 1, 60*time.Second)
		sc.send(slug, tx, "10")
		st.waitProcessed(t, tx, 2)
		time.Sleep(2 * time.Second)
		if cs := st.conversions(tx); len(cs) != 1 || cs[0]["value"] != "10" {
			t.Fatalf("conversions %v, want one at 10", cs)
		}
		code, out := st.admin("GET", "/postbacks?transaction_id="+tx, "")
		rows, _ := out["postbacks"].([]any)
		if code != http.StatusOK || len(rows) != 2 || rows[0].(map[string]any)["outcome"] != "duplicate" {
			t.Errorf("postback log %d %v, want the second postback a duplicate", code, out)
		}
		if n := hook.requests(); n != 1 {
			t.Errorf("webhook received %d requests, want 1", n)
		}
	})

	// An unknown mode is refused with 422 wherever it is set; a campaign's mode
	// is shown, and the test tool says which mode a repeat would take.
	t.Run("SettingsAndTestTool", func(t *testing.T) {
		t.Parallel()
		st := st.forTest(t)
		for _, c := range []struct{ method, path, body string }{
			{"POST", "/integrations", `{"slug":"dup-bad","open":true,"duplicate_mode":"sum"}`},
			{"PUT", "/integrations/demo/duplicate_mode", `{"duplicate_mode":"sum"}`},
			{"POST", "/campaigns", `{"name":"bad","offer_url":"https://offer.example/","duplicate_mode":"sum"}`},
		} {
			if code, out := st.admin(c.method, c.path, c.body); code != http.StatusUnprocessableEntity {
				t.Errorf("%s %s: %d %v, want 422", c.method, c.path, code, out)
			}
		}
		code, out := st.admin("POST", "/campaigns", `{"name":"rebills","offer_url":"https://offer.example/","duplicate_mode":"new"}`)
		if code != http.StatusCreated || out["duplicate_mode"] != "new" {
			t.Fatalf("campaign with mode new: %d %v", code, out)
		}
		code, out = st.admin("POST", "/clicks", fmt.Sprintf(`{"campaign_id":%v}`, out["id"]))
		if code != http.StatusCreated {
			t.Fatalf("create click: %d %v", code, out)
		}
		click := out["click_id"].(string)

		// The test tool shows the mode a repeat would be decided with, and
		// where it comes from: the click's campaign wins over the integration.
		for _, c := range []struct{ query, mode, source string }{
			{"click_id=" + click + "&transaction_id=T&commission=3", "new", "campaign"},
			{"click_id=nobody&transaction_id=T&commission=3", "ignore", "integration"},
		} {
			code, out := st.admin("POST", "/postbacks/test", fmt.Sprintf(`{"integration":"demo","query":%q}`, c.query))
			if code != http.StatusOK || out["duplicate_mode"] != c.mode || out["duplicate_mode_source"] != c.source {
				t.Errorf("test tool for %s: %d %v, want mode %s from the %s", c.query, code, out, c.mode, c.source)
			}
		}
	})
}
