package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// summary is one request as the life-event tests compare it: the status the
// fake answered and what the request said.
func (a attempt) summary(kind string) string {
	switch kind {
	case "google_ads":
		return strings.TrimSpace(fmt.Sprintf("%d %s %s", a.Status, a.Fields["op"], a.Fields["value"]))
	case "postback":
		return fmt.Sprintf("%d %s %s", a.Status, a.Fields["status"], a.Fields["payout"])
	case "webhook":
		return fmt.Sprintf("%d %s %s %s", a.Status, a.Fields["type"], a.Fields["status"], a.Fields["value"])
	}
	return fmt.Sprintf("%d %s", a.Status, a.Fields["value"])
}

func (f *fakePlatform) summaries() []string {
	var out []string
	for _, a := range f.log() {
		out = append(out, a.summary(f.kind))
	}
	return out
}

// waitDeliveries waits until the log shows exactly n deliveries of tx, all delivered.
func (st *stack) waitDeliveries(t *testing.T, tx string, n int, timeout time.Duration) []map[string]any {
	t.Helper()
	var got []map[string]any
	eventually(t, fmt.Sprintf("%d deliveries of %s delivered", n, tx), timeout, func() error {
		ds := st.deliveries("limit=200&transaction_id=" + url.QueryEscape(tx))
		if len(ds) != n {
			return fmt.Errorf("%d deliveries", len(ds))
		}
		for _, d := range ds {
			if d["status"] != "delivered" {
				return fmt.Errorf("delivery %v to %v is %v (attempts %v, last error %v)", d["id"], d["destination_name"], d["status"],
					d["attempts"], d["last_error"])
			}
		}
		got = ds
		return nil
	})
	return got
}

// TestLifeEventsPerDestinationThroughAWorkerKill follows one transaction through
// pending, approved 25, approved 30 and rejected, with every destination type on
// its default life events (and Meta and the traffic source on others), against
// fake platforms that check every request. Each destination receives exactly the
// requests the policy says, each once, although the worker is killed (SIGKILL)
// after the approval and the value change arrives while no worker runs: a new
// worker process takes the transaction over from its history. Google Ads
// authenticates with OAuth: its first access token is refused (401), refreshed
// once and the upload sent again; the value change and the rejection reach it as
// a restatement and a retraction of the uploaded order id.
func TestLifeEventsPerDestinationThroughAWorkerKill(t *testing.T) {
	st := startStackWithoutWorker(t)
	w1 := startWorkerProcess(t, st.info)
	sc := newScenario(t, st, "life")

	type target struct {
		f      *fakePlatform
		fireOn string
		id     int64
		want   []string // request summaries, in order
		kinds  []string // delivery log kinds, in order
	}
	gads := newFake(t, "google_ads")
	gads.useOAuth(true)
	targets := map[string]*target{
		"meta default":     {f: newFake(t, "meta"), want: []string{"200 25"}, kinds: []string{"conversion"}},
		"meta first":       {f: newFake(t, "meta"), fireOn: "first", want: []string{"200 0.01"}, kinds: []string{"conversion"}},
		"tiktok default":   {f: newFake(t, "tiktok"), want: []string{"200 25"}, kinds: []string{"conversion"}},
		"ga4 default":      {f: newFake(t, "ga4"), want: []string{"200 25"}, kinds: []string{"conversion"}},
		"google default":   {f: gads, want: []string{"401 upload 25", "200 upload 25", "200 RESTATEMENT 30", "200 RETRACTION"}, kinds: []string{"conversion", "restatement", "retraction"}},
		"postback default": {f: newFake(t, "postback"), want: []string{"200 approved 25"}, kinds: []string{"conversion"}},
		"postback all": {f: newFake(t, "postback"), fireOn: "first,approved,value_change,rejected",
			want:  []string{"200 pending 0.01", "200 approved 25", "200 approved 30", "200 rejected 30"},
			kinds: []string{"conversion", "conversion", "conversion", "conversion"}},
		"webhook default": {f: newFake(t, "webhook"),
			want:  []string{"200 conversion pending 0.01", "200 conversion approved 25", "200 conversion approved 30", "200 reversal rejected 30"},
			kinds: []string{"conversion", "conversion", "conversion", "reversal"}},
	}
	for _, tg := range targets {
		tg.id = sc.destination(tg.f, tg.fireOn)
	}
	const tx = "TX-LIFE"

	sc.postback(tx, "pending", url.Values{"commission": {"25"}})
	st.waitDeliveries(t, tx, 3, 90*time.Second) // meta first, postback all, webhook
	sc.postback(tx, "approved", url.Values{"commission": {"25"}})
	st.waitDeliveries(t, tx, 10, 60*time.Second) // + meta, tiktok, ga4, google, postback default

	// The worker dies; the value change is accepted and waits for a worker.
	if err := w1.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = w1.Wait()
	sc.postback(tx, "approved", url.Values{"commission": {"30"}})
	time.Sleep(2 * time.Second)
	if cs := st.conversions(tx); len(cs) != 1 || cs[0]["value"] != "25" {
		t.Fatalf("with no worker the conversion is %v, want still approved at 25", cs)
	}
	startWorkerProcess(t, st.info)
	st.waitDeliveries(t, tx, 13, 120*time.Second) // + google restatement, postback all, webhook
	sc.postback(tx, "rejected", nil)
	st.waitDeliveries(t, tx, 16, 60*time.Second) // + google retraction, postback all, webhook
	st.waitProcessed(t, tx, 4)
	time.Sleep(3 * time.Second) // a stray request would arrive by now

	for name, tg := range targets {
		f := tg.f
		f.assertValid(t)
		if got := f.summaries(); !slices.Equal(got, tg.want) {
			t.Errorf("%s received %q, want %q", name, got, tg.want)
		}
		ds := st.deliveries(fmt.Sprintf("limit=50&transaction_id=%s&destination_id=%d", tx, tg.id))
		slices.Reverse(ds) // oldest first
		var kinds []string
		ids := map[string]bool{}
		for _, d := range ds {
			kinds = append(kinds, d["kind"].(string))
			ids[d["event_id"].(string)] = true
			if d["origin"] != "live" {
				t.Errorf("%s delivery %v: origin %v, want live", name, d["id"], d["origin"])
			}
		}
		if !slices.Equal(kinds, tg.kinds) {
			t.Errorf("%s delivery log kinds %v, want %v", name, kinds, tg.kinds)
		}
		if len(ids) != len(ds) {
			t.Errorf("%s: deliveries share an idempotency key: %v", name, ds)
		}
		// Each request carries its delivery's idempotency key where the
		// platform takes one; Google adjusts the order id of the upload, GA4
		// and the traffic source identify the transaction.
		for _, a := range f.log() {
			switch f.kind {
			case "meta", "tiktok", "webhook":
				if !ids[a.EventID] {
					t.Errorf("%s request %d carries event id %q, not one of its deliveries' %v", name, a.N, a.EventID, ids)
				}
			case "google_ads":
				if a.EventID != ds[0]["event_id"] {
					t.Errorf("%s request %d (%s) carries order id %q, want the upload's %v", name, a.N, a.Fields["op"], a.EventID, ds[0]["event_id"])
				}
			case "ga4", "postback":
				if a.EventID != tx {
					t.Errorf("%s request %d identifies %q, want the transaction %s", name, a.N, a.EventID, tx)
				}
			}
		}
		if f.kind == "webhook" && len(f.eventIDs()) != 4 {
			t.Errorf("webhook event ids %v, want 4 distinct (one per revision)", f.eventIDs())
		}
	}

	// OAuth: the refused first token was refreshed once; the second worker
	// process, with an empty cache, refreshed once for both adjustments.
	log := gads.log()
	tokens := []string{}
	for _, a := range log {
		tokens = append(tokens, a.Fields["token"])
	}
	if gads.tokens() != 3 || len(tokens) != 4 || tokens[0] == tokens[1] || tokens[1] == tokens[2] || tokens[2] != tokens[3] {
		t.Errorf("google issued %d tokens; requests carried %v, want 3 issued: refused, refreshed, then one per worker process", gads.tokens(), tokens)
	}
	if code, body := st.admin("GET", "/conversions?transaction_id="+tx, ""); code != http.StatusOK ||
		len(body["conversions"].([]any)) != 1 || body["conversions"].([]any)[0].(map[string]any)["status"] != "rejected" {
		t.Errorf("conversion at the end: %d %v, want rejected", code, body)
	}
}
