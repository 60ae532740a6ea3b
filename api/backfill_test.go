package api_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/workflows"
)

// signalRecorder is a Temporal client that records SignalWithStartWorkflow
// calls (the only call a backfill makes) and refuses those for refuse.
type signalRecorder struct {
	client.Client
	mu      sync.Mutex
	calls   []signalCall
	refuse  string // a workflow id whose signal fails
	refused int
}

type signalCall struct {
	workflowID, signal, workflowType string
	arg                              workflows.RedeliverSignal
	opts                             client.StartWorkflowOptions
	input                            workflows.Input
}

func (r *signalRecorder) SignalWithStartWorkflow(_ context.Context, workflowID, signalName string, signalArg any,
	options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if workflowID == r.refuse {
		r.refused++
		return nil, errors.New("frontend unavailable")
	}
	c := signalCall{workflowID: workflowID, signal: signalName, opts: options}
	c.workflowType, _ = workflow.(string)
	c.arg, _ = signalArg.(workflows.RedeliverSignal)
	if len(args) == 1 {
		c.input, _ = args[0].(workflows.Input)
	}
	r.calls = append(r.calls, c)
	return nil, nil
}

func (r *signalRecorder) recorded() []signalCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]signalCall(nil), r.calls...)
}

// approve records an approved conversion of tx through the store's record path.
func (h *harness) approve(tx, value string, at time.Time) {
	h.t.Helper()
	ctx := context.Background()
	e := &store.LogEntry{AccountID: h.account.ID, Integration: "pb", Method: "GET", Path: "/pb", ReceivedAt: at,
		Canonical: []byte(`{"transaction_id":"` + tx + `"}`), TransactionID: tx, WorkflowID: "conv/" + h.account.ID + "/" + tx, Outcome: "accepted"}
	if err := h.st.InsertLog(ctx, e); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.st.Record(ctx, store.RecordParams{PostbackID: e.ID, AccountID: h.account.ID, TxKey: tx, TransactionID: tx,
		Integration: "pb", EventName: "Purchase", Currency: "EUR", ConvertedAt: at,
		Decision: conv.Decision{Apply: true, To: conv.StatusApproved, Value: decimal.RequireFromString(value)}}); err != nil {
		h.t.Fatal(err)
	}
}

// POST /destinations/{id}/backfill re-sends the approved conversions of the
// window (clamped to the platform's: 7 days for Meta) through each
// transaction's workflow by SignalWithStart, once: a repeat creates and
// signals nothing, and the delivery log marks them origin backfill.
func TestBackfillAPIHandsEachConversionToItsWorkflowOnce(t *testing.T) {
	rec := &signalRecorder{}
	h := newHarnessWith(t, harnessOptions{temporal: rec})
	now := time.Now()
	h.approve("BF-1", "25", now.Add(-time.Hour))
	h.approve("BF-2", "30.5", now.Add(-6*24*time.Hour))
	h.approve("BF-OLD", "9", now.Add(-8*24*time.Hour)) // past Meta's 7 days
	id := h.destination(`{"type":"meta","name":"pixel","config":{"pixel_id":"1","access_token":"EAAB"}}`)

	code, out := h.admin("POST", "/destinations/"+id+"/backfill", `{"days":30}`)
	if code != http.StatusAccepted {
		t.Fatalf("backfill: %d %v", code, out)
	}
	if num(out["days_requested"]) != 30 || num(out["days"]) != 7 || num(out["window_days"]) != 7 ||
		!strings.Contains(fmt.Sprint(out["window"]), "Meta") || num(out["conversions_found"]) != 2 ||
		num(out["deliveries_created"]) != 2 || num(out["already_delivered"]) != 0 || num(out["handover_failed"]) != 0 {
		t.Fatalf("backfill answer %v, want 30 days asked, 7 used (Meta's window), 2 found and created", out)
	}
	since, err := time.Parse(time.RFC3339Nano, fmt.Sprint(out["since"]))
	if err != nil || since.Before(now.Add(-7*24*time.Hour-time.Minute)) || since.After(now.Add(-7*24*time.Hour+time.Minute)) {
		t.Errorf("since = %v (%v), want 7 days ago", out["since"], err)
	}

	ds, err := h.st.ListDeliveries(context.Background(), h.account.ID, store.DeliveryFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]store.Delivery{}
	for _, d := range ds {
		byID[d.ID] = d
	}
	calls := rec.recorded()
	if len(calls) != 2 || len(ds) != 2 {
		t.Fatalf("%d signals for %d deliveries, want 2 and 2: %+v", len(calls), len(ds), calls)
	}
	signalled := map[string]bool{}
	for _, c := range calls {
		d, ok := byID[c.arg.Delivery.ID]
		if !ok {
			t.Fatalf("signal carries delivery %d, not one of the backfill's", c.arg.Delivery.ID)
		}
		tx := d.TransactionID
		signalled[tx] = true
		wantID := conv.WorkflowID(h.account.ID, tx)
		if c.workflowID != wantID || c.opts.ID != wantID || c.signal != workflows.RedeliverSignalName ||
			c.workflowType != workflows.ConversionWorkflowName || c.input.TxKey != tx || c.input.AccountID != h.account.ID ||
			c.opts.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING ||
			c.opts.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE {
			t.Errorf("signal %+v, want redeliver to %s (started if completed)", c, wantID)
		}
		if c.arg.Delivery.DestinationType != "meta" || !strings.HasPrefix(c.arg.Delivery.Summary, "backfill to meta") {
			t.Errorf("signalled delivery %+v", c.arg.Delivery)
		}
		if d.Origin != store.OriginBackfill || d.Status != "pending" || d.Kind != "conversion" {
			t.Errorf("delivery of %s = %+v, want pending origin backfill", tx, d)
		}
	}
	if !signalled["BF-1"] || !signalled["BF-2"] {
		t.Errorf("signalled %v, want BF-1 and BF-2", signalled)
	}

	// The delivery log shows where they came from.
	code, out = h.admin("GET", "/deliveries?destination_id="+id, "")
	if code != http.StatusOK {
		t.Fatalf("delivery log: %d %v", code, out)
	}
	for _, d := range out["deliveries"].([]any) {
		if o := d.(map[string]any)["origin"]; o != "backfill" {
			t.Errorf("delivery log row %v: origin %v, want backfill", d, o)
		}
	}

	// Again: nothing new, nothing signalled twice.
	code, out = h.admin("POST", "/destinations/"+id+"/backfill", `{"days":7}`)
	if code != http.StatusAccepted || num(out["conversions_found"]) != 2 || num(out["deliveries_created"]) != 0 ||
		num(out["already_delivered"]) != 2 {
		t.Fatalf("repeated backfill: %d %v, want 2 found, 0 created, 2 already delivered", code, out)
	}
	if n := len(rec.recorded()); n != 2 {
		t.Errorf("%d signals after the repeat, want still 2", n)
	}
}

// A backfill delivery whose workflow cannot be reached is marked failed with
// the reason (re-drivable from the log) and counted; the others go through.
func TestBackfillHandOverFailureIsMarkedFailed(t *testing.T) {
	rec := &signalRecorder{}
	h := newHarnessWith(t, harnessOptions{temporal: rec})
	rec.refuse = conv.WorkflowID(h.account.ID, "HO-2")
	h.approve("HO-1", "10", time.Now().Add(-time.Hour))
	h.approve("HO-2", "11", time.Now().Add(-time.Hour))
	id := h.destination(`{"type":"webhook","name":"crm","config":{"url":"https://hooks.example/x"}}`)
	code, out := h.admin("POST", "/destinations/"+id+"/backfill", `{"days":1}`)
	if code != http.StatusAccepted || num(out["deliveries_created"]) != 2 || num(out["handover_failed"]) != 1 || rec.refused != 1 {
		t.Fatalf("backfill: %d %v (refused %d), want 2 created, 1 hand-over failed", code, out, rec.refused)
	}
	ds, err := h.st.ListDeliveries(context.Background(), h.account.ID, store.DeliveryFilter{TransactionID: "HO-2", Limit: 10})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries of HO-2: %v %v", ds, err)
	}
	if ds[0].Status != "failed" || !strings.Contains(ds[0].LastError, "hand-over") {
		t.Errorf("delivery whose hand-over failed = %+v, want failed with the reason", ds[0])
	}
	// A repeat says so rather than sending it a second way.
	_, out = h.admin("POST", "/destinations/"+id+"/backfill", `{"days":1}`)
	if sk, _ := out["skipped"].(map[string]any); num(out["deliveries_created"]) != 0 || num(sk["failed_before"]) != 1 {
		t.Errorf("repeat after a failed hand-over: %v, want it skipped as failed before", out)
	}
}

// The request is checked: a positive number of days, a known and enabled
// destination of the account, an admin key.
func TestBackfillAPIRefusesBadRequests(t *testing.T) {
	rec := &signalRecorder{}
	h := newHarnessWith(t, harnessOptions{temporal: rec})
	id := h.destination(`{"type":"ga4","name":"ga","config":{"measurement_id":"G-1","api_secret":"s"}}`)
	off := h.destination(`{"type":"webhook","name":"off","enabled":false,"config":{"url":"https://hooks.example/x"}}`)
	for _, c := range []struct {
		path, body string
		want       int
	}{
		{"/destinations/" + id + "/backfill", `{}`, http.StatusUnprocessableEntity},
		{"/destinations/" + id + "/backfill", `{"days":0}`, http.StatusUnprocessableEntity},
		{"/destinations/" + id + "/backfill", `{"days":"7"}`, http.StatusBadRequest},
		{"/destinations/999999/backfill", `{"days":7}`, http.StatusNotFound},
		{"/destinations/" + off + "/backfill", `{"days":7}`, http.StatusConflict},
	} {
		if code, out := h.admin("POST", c.path, c.body); code != c.want {
			t.Errorf("POST %s %s: %d %v, want %d", c.path, c.body, code, out, c.want)
		}
	}
	// GA4's window is 72 hours: 3 days.
	if code, out := h.admin("POST", "/destinations/"+id+"/backfill", `{"days":10}`); code != http.StatusAccepted || num(out["days"]) != 3 {
		t.Errorf("GA4 backfill of 10 days: %d %v, want 3 days used", code, out)
	}
	_, key, err := h.st.CreateAPIKey(context.Background(), h.account.ID, "reader", store.RoleRead)
	if err != nil {
		t.Fatal(err)
	}
	code, out := h.do("POST", "/v1/accounts/"+h.account.ID+"/destinations/"+id+"/backfill", "application/json", `{"days":1}`,
		"Authorization", "Bearer "+key)
	if code != http.StatusForbidden {
		t.Errorf("backfill with a read-only key: %d %v, want 403", code, out)
	}
	if n := len(rec.recorded()); n != 0 {
		t.Errorf("%d signals, want none: there was nothing to backfill", n)
	}
}

// The destinations page has a backfill form per destination and shows the
// counts of what it did.
func TestConsoleBackfillShowsTheCounts(t *testing.T) {
	rec := &signalRecorder{}
	h := newHarnessWith(t, harnessOptions{temporal: rec})
	h.approve("CB-1", "10", time.Now().Add(-time.Hour))
	h.approve("CB-2", "12", time.Now().Add(-2*time.Hour))
	id := h.destination(`{"type":"postback","name":"source","config":{"url":"https://ts.example/pb?tx={transaction_id}"}}`)
	cc := newConsoleClient(t, h)
	cc.post("/console/login", url.Values{"key": {h.key}})
	_, page, _ := cc.get("/console/destinations")
	if !strings.Contains(page, `action="/console/destinations/`+id+`/backfill"`) || !strings.Contains(page, `name="days"`) {
		t.Fatalf("destinations page has no backfill form for %s", id)
	}
	token := cc.csrf("/console/destinations")
	code, page, _ := cc.post("/console/destinations/"+id+"/backfill", url.Values{"csrf": {token}, "days": {"45"}})
	text := html.UnescapeString(page)
	if code != http.StatusOK || !strings.Contains(text, "Backfill to source") || !strings.Contains(text, "30 days") ||
		!strings.Contains(text, "2 approved conversions found") || !strings.Contains(text, "2 deliveries created") ||
		!strings.Contains(text, "0 already delivered") {
		t.Fatalf("backfill from the console: %d, page without the counts:\n%s", code, page)
	}
	if n := len(rec.recorded()); n != 2 {
		t.Errorf("%d signals, want 2", n)
	}
	_, page, _ = cc.post("/console/destinations/"+id+"/backfill", url.Values{"csrf": {token}, "days": {"soon"}})
	if !strings.Contains(page, "Days must be a whole number") {
		t.Errorf("a days field that is not a number is not explained")
	}
}

// num reads a JSON number of an answer.
func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}
