package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/devstack"
)

// burstSize is how many distinct transactions one campaign's burst sends at
// once; burstCampaigns is how many capped campaigns a subtest bursts at
// together, each its own independent chance for a non-atomic cap to let a
// third through (one burst alone catches a read-then-write cap only about one
// time in four: the record steps overlap at the cap's last slot only sometimes).
const (
	burstSize      = 12
	burstCampaigns = 4
)

// TestCapParallelBurst: a parallel burst of approvals against a capped
// campaign's traffic source never sends more than the cap (docs/rules.md,
// Caps), through the real HTTP intake, dispatcher, workflows and store. Each
// transaction is its own workflow, so the record steps that take the cap's
// slots run concurrently; only the conditional UPDATE keeps a third one out.
// (internal/store TestCapIsExactUnderConcurrency proves the same at store
// level; TestCampaignTrafficSourceRules/DailyCapHoldsTheThird sends three one
// after another.)
func TestCapParallelBurst(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, nil)

	// A daily cap of 2 with hold: 2 delivered, the other 10 capped (recorded,
	// not sent); every conversion recorded.
	t.Run("DailyHold", func(t *testing.T) {
		t.Parallel()
		capBurst(t, st, "burst-daily", `"caps":[{"event":"","daily":2}],"cap_action":"hold"`,
			"capped", "not sent: daily cap 2 (every event) on ")
	})

	// A total cap of 2 with reject: 2 delivered, the other 10 cap_rejected.
	t.Run("TotalReject", func(t *testing.T) {
		t.Parallel()
		capBurst(t, st, "burst-total", `"caps":[{"event":"","total":2}],"cap_action":"reject"`,
			"cap_rejected", "not sent: total cap 2 (every event) reached")
	})
}

// capped is one campaign of a burst: its scenario, its fake traffic source, its
// managed destination and its transactions.
type capped struct {
	name   string
	sc     *scenario
	src    *fakePlatform
	destID int64
	txs    []string
}

// capBurst makes burstCampaigns campaigns with the caps rules (a cap of 2 on
// every event), sends each burstSize approvals of distinct transactions, all
// burstCampaigns*burstSize released at once, and checks that exactly 2 of
// each campaign reach its traffic source and the others are recorded as
// overStatus with a reason starting with reason.
func capBurst(t *testing.T, shared *stack, name, rules, overStatus, reason string) {
	st := shared.forTest(t)
	var camps []*capped
	for c := 1; c <= burstCampaigns; c++ {
		cn := fmt.Sprintf("%s-%d", name, c)
		sc, src := sourceScenario(t, shared, cn, rules)
		cp := &capped{name: cn, sc: sc, src: src, destID: managedDestinationID(t, st, sc.campaign)}
		for i := 1; i <= burstSize; i++ {
			cp.txs = append(cp.txs, fmt.Sprintf("TX-%s-%02d", strings.ToUpper(cn), i))
		}
		camps = append(camps, cp)
	}

	// Every sender builds its request, reports ready and waits at the
	// barrier; all are released together.
	type sent struct {
		tx  string
		err error
	}
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	results := make(chan sent, burstCampaigns*burstSize)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: burstCampaigns * burstSize}}
	for _, cp := range camps {
		for _, tx := range cp.txs {
			ready.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				q := url.Values{"click_id": {cp.sc.clickID}, "transaction_id": {tx}, "commission": {"25"}, "currency": {"USD"},
					"status": {"approved"}}
				req, err := st.request("GET", "/"+st.info.AccountID+"/collect/demo?"+q.Encode(), "", "")
				ready.Done()
				if err != nil {
					results <- sent{tx, err}
					return
				}
				<-start
				results <- sent{tx, sendAccepted(client, req)}
			}()
		}
	}
	ready.Wait()
	close(start)
	done.Wait()
	close(results)
	for r := range results {
		if r.err != nil {
			t.Errorf("postback %s: %v", r.tx, r.err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	for _, cp := range camps {
		checkCapBurst(t, st, cp, overStatus, reason)
	}
}

// checkCapBurst waits until every postback of cp's burst is handled by its
// workflow and every traffic-source delivery settled, then checks that 2 were
// delivered, the rest recorded over the cap, and every conversion recorded.
// The source must never see a third request, not even on the way.
func checkCapBurst(t *testing.T, st *stack, cp *capped, overStatus, reason string) {
	t.Helper()
	for _, tx := range cp.txs {
		st.waitProcessed(t, tx, 1)
	}
	var ds []map[string]any
	eventually(t, fmt.Sprintf("%s: 2 delivered, %d %s", cp.name, burstSize-2, overStatus), 90*time.Second, func() error {
		if n := cp.src.requests(); n > 2 {
			t.Fatalf("%s: traffic source received %d postbacks, want at most 2: %q", cp.name, n, cp.src.summaries())
		}
		ds = st.deliveries(fmt.Sprintf("limit=100&destination_id=%d", cp.destID))
		got := map[string]int{}
		for _, d := range ds {
			got[d["status"].(string)]++
		}
		if len(ds) != burstSize || got["delivered"] != 2 || got[overStatus] != burstSize-2 {
			return fmt.Errorf("%d deliveries, by status %v", len(ds), got)
		}
		return nil
	})
	time.Sleep(time.Second) // a stray third request would arrive by now

	if n := cp.src.requests(); n != 2 {
		t.Errorf("%s: traffic source received %d postbacks, want exactly 2: %q", cp.name, n, cp.src.summaries())
	}
	cp.src.assertValid(t)

	// The two delivered are the two the source received, once each; every
	// other transaction has one delivery over the cap, with the reason.
	var delivered, over []string
	for _, d := range ds {
		tx, _ := d["transaction_id"].(string)
		switch d["status"] {
		case "delivered":
			delivered = append(delivered, tx)
		case overStatus:
			over = append(over, tx)
			if msg, _ := d["last_error"].(string); !strings.HasPrefix(msg, reason) {
				t.Errorf("%s: delivery of %s over the cap: reason %q, want %q...", cp.name, tx, msg, reason)
			}
		}
	}
	var received []string
	for tx, n := range cp.src.eventIDs() {
		received = append(received, tx)
		if n != 1 {
			t.Errorf("%s: traffic source received %s %d times", cp.name, tx, n)
		}
	}
	sort.Strings(delivered)
	sort.Strings(received)
	if !slices.Equal(delivered, received) {
		t.Errorf("%s: delivered %v, but the traffic source received %v", cp.name, delivered, received)
	}
	all := append(append([]string(nil), delivered...), over...)
	sort.Strings(all)
	if !slices.Equal(all, cp.txs) {
		t.Errorf("%s: deliveries cover %v, want one per transaction %v", cp.name, all, cp.txs)
	}

	// Every conversion recorded and approved, capped or not.
	for _, tx := range cp.txs {
		if cs := st.conversions(tx); len(cs) != 1 || cs[0]["status"] != "approved" || cs[0]["campaign_id"] != float64(cp.sc.campaign) {
			t.Errorf("%s: conversion %s: %v, want one approved in campaign %d", cp.name, tx, cs, cp.sc.campaign)
		}
	}

	code, camp := st.admin("GET", fmt.Sprintf("/campaigns/%d", cp.sc.campaign), "")
	if usage, _ := camp["cap_usage"].([]any); code != http.StatusOK || len(usage) != 1 || usage[0].(map[string]any)["used"] != float64(2) {
		t.Errorf("%s: campaign cap usage: %d %v, want 2 used", cp.name, code, camp["cap_usage"])
	}
}

// sendAccepted sends a network postback and wants 200 accepted (safe to call
// from any goroutine: it reports instead of failing the test).
func sendAccepted(client *http.Client, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	if resp.StatusCode != http.StatusOK || body["status"] != "accepted" {
		return fmt.Errorf("answered %d %s", resp.StatusCode, raw)
	}
	return nil
}
