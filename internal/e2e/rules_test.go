package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/devstack"
)

// sourceScenario is a scenario whose campaign sends its traffic source (the
// fake) the campaign-managed postback, with the campaign's rules in extra
// (JSON members, without braces).
func sourceScenario(t *testing.T, shared *stack, name, extra string) (*scenario, *fakePlatform) {
	t.Helper()
	st := shared.forTest(t)
	src := newFake(t, "postback")
	src.postbackParams = append(src.postbackParams, "rev")
	tmpl := src.endpoint() + "/postback?cid={click_id}&tx={transaction_id}&payout={payout}&cur={currency}&status={status}&rev={revenue}"
	body := fmt.Sprintf(`{"name":%q,"offer_url":"https://offer.example/?c={click_id}","traffic_source":"ts-%s","traffic_source_postback":%q`,
		name, name, tmpl)
	if extra != "" {
		body += "," + extra
	}
	code, out := st.admin("POST", "/campaigns", body+"}")
	if code != http.StatusCreated {
		t.Fatalf("create campaign: %d %v", code, out)
	}
	sc := &scenario{t: t, st: st, campaign: int64(out["id"].(float64))}
	click, _ := json.Marshal(map[string]any{"campaign_id": sc.campaign, "ip": clickIP, "user_agent": clickUA})
	code, out = st.admin("POST", "/clicks", string(click))
	if code != http.StatusCreated {
		t.Fatalf("create click: %d %v", code, out)
	}
	sc.clickID = out["click_id"].(string)
	return sc, src
}

// TestCampaignTrafficSourceRules: a campaign's traffic-source postback through
// the real stack, with its rules (docs/rules.md).
func TestCampaignTrafficSourceRules(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, nil)

	// Pending then approved 25 sends the source exactly one postback, the
	// approval with payout 25: the campaign default is a postback
	// destination's (the approval), not the first event at 0.01.
	t.Run("PendingThenApprovedSendsOneApproval", func(t *testing.T) {
		t.Parallel()
		sc, src := sourceScenario(t, st, "default", "")
		const tx = "TX-TS-DEFAULT"
		sc.postback(tx, "pending", url.Values{"commission": {"25"}})
		st.forTest(t).waitProcessed(t, tx, 1)
		sc.postback(tx, "approved", url.Values{"commission": {"25"}})
		st.forTest(t).waitDeliveries(t, tx, 1, 60*time.Second)
		st.forTest(t).waitProcessed(t, tx, 2)
		time.Sleep(2 * time.Second) // a stray request would arrive by now
		src.assertValid(t)
		if got, want := src.summaries(), []string{"200 approved 25"}; !slices.Equal(got, want) {
			t.Errorf("traffic source received %q, want %q", got, want)
		}
	})

	// A 70% payout rule sends payout=17.5 for a 25 approval; {revenue} is 25.
	t.Run("PercentPayout", func(t *testing.T) {
		t.Parallel()
		sc, src := sourceScenario(t, st, "share", `"payout":{"rule":"percent","amount":"70"}`)
		const tx = "TX-TS-SHARE"
		sc.postback(tx, "approved", url.Values{"commission": {"25"}})
		st.forTest(t).waitDeliveries(t, tx, 1, 60*time.Second)
		src.assertValid(t)
		log := src.log()
		if len(log) != 1 || log[0].Fields["payout"] != "17.5" || log[0].Fields["cur"] != "USD" || log[0].Fields["rev"] != "25" {
			t.Fatalf("traffic source received %v, want one postback with payout 17.5 USD and revenue 25", log)
		}
	})
}
