package workflows_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/worker"
	"github.com/convrelay/convrelay/workflows"
)

// withMetrics gives the fixture a fresh test environment whose activities count
// into m.
func (f *fixture) withMetrics(m *metrics.Metrics) {
	f.env = f.suite.NewTestWorkflowEnvironment()
	f.env.SetTestTimeout(2 * time.Minute)
	worker.Register(f.env, &activities.Activities{Store: f.st, Sender: loopbackSender(),
		Logger: slog.New(slog.DiscardHandler), Metrics: m})
}

func (f *fixture) deliveries(txID string) []store.Delivery {
	f.t.Helper()
	list, err := f.st.ListDeliveries(context.Background(), f.account.ID, store.DeliveryFilter{TransactionID: txID, Limit: 10})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

func statuses(n, status int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = status
	}
	return out
}

// TestDeliveryFailsWhenRetryWindowRunsOut pins CONVRELAY_DELIVERY_RETRY_WINDOW:
// a destination that keeps answering 503 is retried inside the window and no
// longer, then the delivery is marked failed, for good and visibly, with the
// reason that no retry can fix it, so an operator can re-drive it.
//
// Retries start 1 s apart and double: attempts at 0, 1, 3, 7, 15, 31, 63 s fit a
// 100 s window, the next (127 s) does not. The SDK's test environment caps an
// unlimited retry policy at 10 attempts, so fewer than 10 shows the window ended
// the retries; more than 5 shows it was not the 30 s attempt timeout the SDK
// falls back to without a window.
func TestDeliveryFailsWhenRetryWindowRunsOut(t *testing.T) {
	f := newFixture(t, statuses(200, http.StatusServiceUnavailable)...)
	m := metrics.New()
	f.withMetrics(m)
	f.signalAt(time.Minute, f.postback("hit=h1&tx=W1&rev=5&status=approved"))
	var view workflows.StateView
	queried := false
	f.env.RegisterDelayedCallback(func() {
		v, err := f.env.QueryWorkflow(workflows.StateQueryName)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		queried = v.Get(&view) == nil
	}, 30*time.Minute)
	f.run("W1", workflows.Input{DeliveryWindow: 100 * time.Second, SettleWindow: time.Hour})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	// The state query shows the failure while the transaction is still open.
	if !queried || view.DeliveriesFailed != 1 || view.DeliveriesInFlight != 0 {
		t.Fatalf("state query ran %v: deliveries failed %d, in flight %d; want 1 and 0", queried, view.DeliveriesFailed, view.DeliveriesInFlight)
	}
	ds := f.deliveries("W1")
	if len(ds) != 1 {
		t.Fatalf("deliveries = %+v, want one", ds)
	}
	d := ds[0]
	if d.Status != "failed" || !strings.Contains(d.LastError, "retry window of 1m40s exhausted") {
		t.Fatalf("delivery = %s %q, want failed with the retry-window reason", d.Status, d.LastError)
	}
	if d.LastCode != http.StatusServiceUnavailable || d.Attempts <= 5 || d.Attempts >= 10 {
		t.Fatalf("delivery attempts %d, last code %d; want the 503 retried for 100 s (6 to 9 attempts)", d.Attempts, d.LastCode)
	}
	if n := len(f.hook.received()); n != 0 {
		t.Fatalf("webhook accepted %d events, want none inside the window", n)
	}
	if got := testutil.ToFloat64(m.Deliveries.WithLabelValues("webhook", "failed")); got != 1 {
		t.Fatalf("deliveries_total{webhook,failed} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.DeliveryAttempts.WithLabelValues("webhook")); got != float64(d.Attempts) {
		t.Fatalf("delivery_attempts_total{webhook} = %v, want %d (one per attempt logged)", got, d.Attempts)
	}
}

// TestDeliveryMetricsCountAttemptsAndOutcomes: two 503s then a 200 is three
// attempts and one delivery; a 400 is one attempt and one failure, not retried.
func TestDeliveryMetricsCountAttemptsAndOutcomes(t *testing.T) {
	f := newFixture(t, http.StatusServiceUnavailable, http.StatusServiceUnavailable)
	m := metrics.New()
	f.withMetrics(m)
	f.signalAt(time.Minute, f.postback("hit=h1&tx=M1&rev=5&status=approved"))
	f.run("M1", workflows.Input{SettleWindow: time.Hour})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if d := f.deliveries("M1"); len(d) != 1 || d[0].Status != "delivered" || d[0].Attempts != 3 {
		t.Fatalf("deliveries = %+v, want one delivered after 3 attempts", d)
	}
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"delivery_attempts_total{webhook}", testutil.ToFloat64(m.DeliveryAttempts.WithLabelValues("webhook")), 3},
		{"deliveries_total{webhook,delivered}", testutil.ToFloat64(m.Deliveries.WithLabelValues("webhook", "delivered")), 1},
		{"deliveries_total{webhook,failed}", testutil.ToFloat64(m.Deliveries.WithLabelValues("webhook", "failed")), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	g := newFixture(t, http.StatusBadRequest)
	m2 := metrics.New()
	g.withMetrics(m2)
	g.signalAt(time.Minute, g.postback("hit=h1&tx=M2&rev=5&status=approved"))
	g.run("M2", workflows.Input{SettleWindow: time.Hour})
	if err := g.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if d := g.deliveries("M2"); len(d) != 1 || d[0].Status != "failed" || d[0].Attempts != 1 || strings.Contains(d[0].LastError, "retry window") {
		t.Fatalf("deliveries = %+v, want one failed after 1 attempt, for the 400 and not the retry window", d)
	}
	if a, fl, dl := testutil.ToFloat64(m2.DeliveryAttempts.WithLabelValues("webhook")),
		testutil.ToFloat64(m2.Deliveries.WithLabelValues("webhook", "failed")),
		testutil.ToFloat64(m2.Deliveries.WithLabelValues("webhook", "delivered")); a != 1 || fl != 1 || dl != 0 {
		t.Fatalf("after a 400: attempts %v, failed %v, delivered %v; want 1, 1, 0", a, fl, dl)
	}
}

// TestMemoShowsAccountValueAndCurrency pins what operators read in the Temporal
// UI's memo: the account, the current value and its currency, updated when they
// change (pending 0.01, then the approved value) and not for a duplicate.
func TestMemoShowsAccountValueAndCurrency(t *testing.T) {
	f := newFixture(t)
	var memos []map[string]any
	f.env.OnUpsertMemo(mock.Anything).Run(func(args mock.Arguments) {
		memos = append(memos, args.Get(0).(map[string]any))
	}).Return(nil)
	f.signalAt(time.Hour, f.postback("hit=h1&tx=MEMO1&rev=4.99&currency=USD&status=pending"))
	f.signalAt(2*time.Hour, f.postback("hit=h1&tx=MEMO1&rev=4.99&currency=USD&status=approved"))
	f.signalAt(3*time.Hour, f.postback("hit=h1&tx=MEMO1&rev=4.99&currency=USD&status=approved"))
	f.run("MEMO1", workflows.Input{SettleWindow: 4 * time.Hour})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"account": f.account.ID, "value": "0.01", "currency": "USD"},
		{"account": f.account.ID, "value": "4.99", "currency": "USD"},
	}
	if len(memos) != len(want) {
		t.Fatalf("memo upserts = %v, want %d (none for the duplicate)", memos, len(want))
	}
	for i, w := range want {
		if len(memos[i]) != len(w) {
			t.Fatalf("memo %d = %v, want exactly %v", i, memos[i], w)
		}
		for k, v := range w {
			if memos[i][k] != v {
				t.Fatalf("memo %d = %v, want %v", i, memos[i], w)
			}
		}
	}
}

// TestDeliveryRetryWindowOnTheActivity: the delivery activity's schedule-to-close
// timeout is the transaction's retry window, and the default day when the
// workflow was started without one (an older dispatcher, a re-drive); its
// attempt and heartbeat timeouts are pinned too.
func TestDeliveryRetryWindowOnTheActivity(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want time.Duration
	}{{0, 24 * time.Hour}, {100 * time.Second, 100 * time.Second}} {
		// The first attempt (inside the workflow task) fails, so the retried activity runs.
		f := newFixture(t, http.StatusServiceUnavailable)
		var got []time.Duration
		f.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
			if info.ActivityType.Name != "Deliver" {
				return
			}
			got = append(got, info.ScheduleToCloseTimeout)
			// An attempt is cut off after 30 s, and a worker that died holding
			// one is noticed after 10 s without a heartbeat.
			if info.StartToCloseTimeout != 30*time.Second || info.HeartbeatTimeout != 10*time.Second {
				t.Errorf("delivery attempt timeout %s, heartbeat timeout %s; want 30s and 10s", info.StartToCloseTimeout, info.HeartbeatTimeout)
			}
		})
		f.signalAt(time.Minute, f.postback("hit=h1&tx=Z1&rev=5&status=approved"))
		f.run("Z1", workflows.Input{DeliveryWindow: tc.in, SettleWindow: time.Hour})
		if err := f.env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Fatalf("window %s: delivery schedule-to-close timeouts %v, want [%s]", tc.in, got, tc.want)
		}
	}
}

// TestEventNameOfARecordedConversion: an event inferred from the value (Purchase
// for a positive commission, Lead without one) names a new conversion but never
// renames a recorded one; an event the network names explicitly does.
func TestEventNameOfARecordedConversion(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		tx, first, second, want string
	}{
		{"E1", "hit=h1&tx=E1&rev=5&status=pending", "hit=h1&tx=E1&status=approved", "Purchase"},
		{"E2", "hit=h1&tx=E2&rev=5&status=pending", "hit=h1&tx=E2&rev=6&status=approved&event_name=Sale", "Sale"},
	} {
		f.newEnv()
		f.signalAt(time.Hour, f.postback(tc.first))
		f.signalAt(2*time.Hour, f.postback(tc.second))
		f.run(tc.tx, workflows.Input{SettleWindow: 3 * time.Hour})
		if err := f.env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		if c := f.conversion(tc.tx); c.EventName != tc.want || c.Status != "approved" {
			t.Errorf("%s: conversion %s %q, want approved %q", tc.tx, c.Status, c.EventName, tc.want)
		}
	}
}
