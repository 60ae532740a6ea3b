package workflows_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/worker"
	"github.com/convrelay/convrelay/workflows"
)

// fakeWebhook is a destination on 127.0.0.1 that answers with the statuses it is
// given in turn (then 200) and remembers every request body.
type fakeWebhook struct {
	srv      *httptest.Server
	mu       sync.Mutex
	statuses []int
	bodies   []map[string]any
	attempts int
}

func newFakeWebhook(t *testing.T, statuses ...int) *fakeWebhook {
	f := &fakeWebhook{statuses: statuses}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.attempts++
		status := http.StatusOK
		if len(f.statuses) > 0 {
			status, f.statuses = f.statuses[0], f.statuses[1:]
		}
		if status == http.StatusOK {
			raw, _ := io.ReadAll(r.Body)
			var body map[string]any
			_ = json.Unmarshal(raw, &body)
			f.bodies = append(f.bodies, body)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":{"message":"fake says ` + http.StatusText(status) + `"}}`))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWebhook) received() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.bodies...)
}

type fixture struct {
	t       *testing.T
	st      *store.Store
	account store.Account
	hook    *fakeWebhook
	dest    store.Destination
	suite   testsuite.WorkflowTestSuite
	env     *testsuite.TestWorkflowEnvironment
}

func newFixture(t *testing.T, hookStatuses ...int) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, st: pgtest.NewStore(t), hook: newFakeWebhook(t, hookStatuses...)}
	var err error
	f.account, _, err = f.st.CreateAccount(ctx, store.Account{Name: "wf test", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	f.dest, err = f.st.CreateDestination(ctx, store.Destination{AccountID: f.account.ID, Type: "webhook", Name: "crm",
		Config: map[string]string{"url": f.hook.srv.URL, "secret": "s3cret-key"}, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	f.newEnv()
	return f
}

func (f *fixture) newEnv() {
	f.env = f.suite.NewTestWorkflowEnvironment()
	f.env.SetTestTimeout(2 * time.Minute)
	worker.Register(f.env, &activities.Activities{Store: f.st, Sender: loopbackSender(), Logger: slog.New(slog.DiscardHandler)})
}

// postback parses a FunnelFlux-style query, logs it as accepted and returns the
// signal the dispatcher would send.
func (f *fixture) postback(query string) workflows.PostbackSignal {
	f.t.Helper()
	p, err := postback.Parse(postback.Request{RawQuery: query}, postback.Integration{Preset: "funnelflux"})
	if err != nil {
		f.t.Fatalf("parse %q: %v", query, err)
	}
	canonical, _ := json.Marshal(p)
	e := &store.LogEntry{AccountID: f.account.ID, Integration: "pb", Method: "GET", Path: "/pb", RawQuery: query,
		ReceivedAt: time.Now().UTC(), Canonical: canonical, TransactionID: p.TransactionID,
		WorkflowID: conv.WorkflowID(f.account.ID, p.TransactionKey()), Outcome: "accepted"}
	if err := f.st.InsertLog(context.Background(), e); err != nil {
		f.t.Fatal(err)
	}
	return workflows.PostbackSignal{PostbackID: e.ID, AccountID: f.account.ID, Integration: "pb", ReceivedAt: e.ReceivedAt}
}

// signalAt delivers signals at the given workflow-clock offsets.
func (f *fixture) signalAt(after time.Duration, sigs ...workflows.PostbackSignal) {
	f.env.RegisterDelayedCallback(func() {
		for _, s := range sigs {
			f.env.SignalWorkflow(workflows.PostbackSignalName, s)
		}
	}, after)
}

func (f *fixture) run(txKey string, in workflows.Input) {
	f.t.Helper()
	in.AccountID, in.TxKey = f.account.ID, txKey
	f.env.ExecuteWorkflow(workflows.ConversionWorkflowName, in)
	if !f.env.IsWorkflowCompleted() {
		f.t.Fatal("workflow did not complete")
	}
}

func (f *fixture) conversion(txID string) store.Conversion {
	f.t.Helper()
	ctx := context.Background()
	list, err := f.st.ListConversions(ctx, f.account.ID, store.ConversionFilter{TransactionID: txID, Limit: 10})
	if err != nil || len(list) != 1 {
		f.t.Fatalf("conversions for %s = %d (%v), want 1", txID, len(list), err)
	}
	c, err := f.st.GetConversion(ctx, f.account.ID, list[0].ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) outcomes(txID string) map[string]int {
	f.t.Helper()
	rows, err := f.st.ListLog(context.Background(), f.account.ID, store.LogFilter{TransactionID: txID, Limit: 100})
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Outcome]++
	}
	return out
}

// loopbackSender sends to the fake platforms on 127.0.0.1 (the outbound guard
// refuses loopback unless allowed).
func loopbackSender() *destinations.Sender {
	return &destinations.Sender{Guard: destinations.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}
}
