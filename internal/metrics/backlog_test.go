package metrics_test

import (
	"context"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Each backlog gauge reads its own figure: an accepted postback not yet applied
// shows in the unapplied count and the dispatcher backlog, not in the deliveries
// awaiting their workflow, and every failure class is exported (0 included).
func TestBacklogGaugesReadTheirOwnFigures(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	acct, _, err := st.CreateAccount(ctx, store.Account{Name: "metrics", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	e := store.LogEntry{AccountID: acct.ID, Integration: "pb", Method: "GET", Path: "/pb", ReceivedAt: time.Now().Add(-time.Minute),
		Canonical: []byte(`{"transaction_id":"M1"}`), TransactionID: "M1", WorkflowID: "conv/" + acct.ID + "/M1", Outcome: "accepted"}
	if err := st.InsertLog(ctx, &e); err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	m.RegisterBacklog(st)
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	classes := 0
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			if f.GetName() == "convrelay_postbacks_failed" {
				classes++
				continue
			}
			got[f.GetName()] = gauge(mt)
		}
	}
	want := map[string]float64{"convrelay_unapplied_postbacks": 1, "convrelay_dispatch_backlog": 1, "convrelay_deliveries_awaiting_workflow": 0}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %v, want %v (all: %v)", name, got[name], v, got)
		}
	}
	if got["convrelay_unapplied_oldest_seconds"] < 30 {
		t.Errorf("oldest unapplied age %v s, want about a minute", got["convrelay_unapplied_oldest_seconds"])
	}
	if classes != 4 {
		t.Errorf("convrelay_postbacks_failed has %d classes, want 4", classes)
	}
}

func gauge(m *dto.Metric) float64 { return m.GetGauge().GetValue() }
