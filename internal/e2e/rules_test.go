package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
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

	// A status map turns the network's 9 into a rejection of the approved
	// conversion; the test tool shows where the status came from; an
	// unknown word is refused (unknown_status reject) and changes nothing.
	t.Run("StatusMapNineRejects", func(t *testing.T) {
		t.Parallel()
		sc, _ := sourceScenario(t, st, "statusmap", "")
		st := st.forTest(t)
		code, out := st.admin("POST", "/integrations", `{"slug":"net9","preset":"affise","open":true,
			"status_map":{"9":"rejected","test":"ignore"},"unknown_status":"reject"}`)
		if code != http.StatusCreated || fmt.Sprint(out["status_map"]) != "map[9:rejected test:ignore]" || out["unknown_status"] != "reject" {
			t.Fatalf("create integration: %d %v", code, out)
		}
		send := func(tx, status string) (int, map[string]any) {
			q := url.Values{"sub1": {sc.clickID}, "transactionid": {tx}, "sum": {"25"}, "currency": {"USD"}, "status": {status}}
			return st.call("GET", "/"+st.info.AccountID+"/collect/net9?"+q.Encode(), "", "")
		}
		const tx = "TX-STATUS-9"
		if code, out := send(tx, "1"); code != http.StatusOK {
			t.Fatalf("approval: %d %v", code, out)
		}
		st.waitProcessed(t, tx, 1)
		if code, out := send(tx, "9"); code != http.StatusOK {
			t.Fatalf("status 9: %d %v", code, out)
		}
		st.waitProcessed(t, tx, 2)
		if cs := st.conversions(tx); len(cs) != 1 || cs[0]["status"] != "rejected" {
			t.Fatalf("after status 9 the conversion is %v, want rejected", cs)
		}
		for _, tc := range []struct{ status, want string }{
			{"weird", `Unknown status "weird"`},
			{"test", `Status "test" is ignored`},
		} {
			code, out := send(tx, tc.status)
			if msg, _ := out["error"].(string); code != http.StatusUnprocessableEntity || !strings.HasPrefix(msg, tc.want) {
				t.Errorf("status %s: %d %v, want 422 %s", tc.status, code, out, tc.want)
			}
		}
		code, out = st.admin("POST", "/postbacks/test", `{"integration":"net9","query":"sub1=c1&transactionid=T&sum=3&status=9"}`)
		if code != http.StatusOK || out["status"] != "rejected" || out["raw_status"] != "9" || out["status_source"] != "status_map" {
			t.Errorf("test tool: %d %v, want rejected from the status_map", code, out)
		}
		if cs := st.conversions(tx); len(cs) != 1 || cs[0]["status"] != "rejected" {
			t.Errorf("refused postbacks changed the conversion: %v", cs)
		}
	})

	// A daily cap of 2 sends the source two postbacks and holds the third,
	// listed as capped with the reason.
	t.Run("DailyCapHoldsTheThird", func(t *testing.T) {
		t.Parallel()
		sc, src := sourceScenario(t, st, "capped", `"caps":[{"event":"","daily":2}],"cap_action":"hold"`)
		st := st.forTest(t)
		for i := 1; i <= 3; i++ {
			tx := fmt.Sprintf("TX-CAP-%d", i)
			sc.postback(tx, "approved", url.Values{"commission": {"25"}})
			st.waitProcessed(t, tx, 1)
		}
		eventually(t, "two delivered, one capped", 60*time.Second, func() error {
			ds := st.deliveries(fmt.Sprintf("limit=50&destination_id=%d", managedDestinationID(t, st, sc.campaign)))
			got := map[string]int{}
			for _, d := range ds {
				got[d["status"].(string)]++
			}
			if got["delivered"] != 2 || got["capped"] != 1 || len(ds) != 3 {
				return fmt.Errorf("deliveries by status %v", got)
			}
			return nil
		})
		capped := st.deliveries("status=capped&limit=10")
		if len(capped) != 1 || capped[0]["transaction_id"] != "TX-CAP-3" {
			t.Errorf("listed as capped: %v", capped)
		}
		time.Sleep(time.Second)
		if n := src.requests(); n != 2 {
			t.Errorf("traffic source received %d postbacks, want 2", n)
		}
		code, camp := st.admin("GET", fmt.Sprintf("/campaigns/%d", sc.campaign), "")
		if usage, _ := camp["cap_usage"].([]any); code != http.StatusOK || len(usage) != 1 || usage[0].(map[string]any)["used"] != float64(2) {
			t.Errorf("campaign cap usage: %d %v, want today's 2", code, camp["cap_usage"])
		}
	})
}

// managedDestinationID finds the campaign's traffic-source destination.
func managedDestinationID(t *testing.T, st *stack, campaign int64) int64 {
	t.Helper()
	code, out := st.admin("GET", "/destinations", "")
	if code != http.StatusOK {
		t.Fatalf("list destinations: %d %v", code, out)
	}
	for _, d := range out["destinations"].([]any) {
		m := d.(map[string]any)
		if cfg, _ := m["config"].(map[string]any); cfg["managed_by"] == "campaign" && m["campaign_id"] == float64(campaign) {
			return int64(m["id"].(float64))
		}
	}
	t.Fatalf("campaign %d has no traffic-source destination", campaign)
	return 0
}
