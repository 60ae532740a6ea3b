package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/devstack"
	"github.com/convrelay/convrelay/internal/store"
)

// workflowRun is the current run of a transaction's workflow and its status.
func (st *stack) workflowRun(t *testing.T, tx string) (string, enumspb.WorkflowExecutionStatus) {
	t.Helper()
	return st.runOf(t, conv.WorkflowID(st.info.AccountID, tx))
}

// runOf is the current run of a workflow and its status.
func (st *stack) runOf(t *testing.T, wfID string) (string, enumspb.WorkflowExecutionStatus) {
	t.Helper()
	resp, err := st.s.Temporal.DescribeWorkflowExecution(context.Background(), wfID, "")
	if err != nil {
		t.Fatalf("describe workflow %s: %v", wfID, err)
	}
	info := resp.GetWorkflowExecutionInfo()
	return info.GetExecution().GetRunId(), info.GetStatus()
}

// TestBackfillDeliversEachApprovedConversionOnce adds destinations after their
// campaign's conversions were recorded and their workflows completed (a settle
// window of seconds), and backfills them: each approved conversion reaches each
// fake platform once, through a new run of its own workflow, marked backfill in
// the delivery log; pending, rejected and suppressed ones are not sent, and a
// second backfill sends nothing.
func TestBackfillDeliversEachApprovedConversionOnce(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, map[string]string{"CONVRELAY_SETTLE_WINDOW": "3s"})
	sc := newScenario(t, st, "backfill")
	sc.postback("BF-A", "approved", url.Values{"commission": {"25"}})
	sc.postback("BF-B", "approved", url.Values{"commission": {"30"}})
	sc.postback("BF-PENDING", "pending", nil)
	sc.postback("BF-REJ", "approved", nil)
	sc.postback("BF-SUPP", "approved", url.Values{"disable_postbacks": {"1"}})
	for _, tx := range []string{"BF-A", "BF-B", "BF-PENDING", "BF-REJ", "BF-SUPP"} {
		st.waitProcessed(t, tx, 1)
	}
	sc.postback("BF-REJ", "rejected", nil)
	st.waitProcessed(t, "BF-REJ", 2)

	completed := map[string]string{}
	eventually(t, "the transactions' workflows completed", 60*time.Second, func() error {
		for _, tx := range []string{"BF-A", "BF-B"} {
			run, status := st.workflowRun(t, tx)
			if status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				return fmt.Errorf("%s is %s", tx, status)
			}
			completed[tx] = run
		}
		return nil
	})

	meta, pb := newFake(t, "meta"), newFake(t, "postback")
	metaID, pbID := sc.destination(meta, ""), sc.destination(pb, "")
	for _, c := range []struct {
		id         int64
		days, used int
	}{{metaID, 30, 7}, {pbID, 45, 30}} {
		code, body := st.admin("POST", fmt.Sprintf("/destinations/%d/backfill", c.id), fmt.Sprintf(`{"days":%d}`, c.days))
		sk, _ := body["skipped"].(map[string]any)
		if code != http.StatusAccepted || num(body["days"]) != c.used || num(body["conversions_found"]) != 3 ||
			num(body["deliveries_created"]) != 2 || num(sk["suppressed"]) != 1 || num(body["handover_failed"]) != 0 {
			t.Fatalf("backfill of destination %d: %d %v, want %d days, 3 found (BF-A, BF-B, BF-SUPP), 2 created, 1 suppressed",
				c.id, code, body, c.used)
		}
	}

	wantValue := map[string]string{"BF-A": "25", "BF-B": "30"}
	for tx := range wantValue {
		for _, id := range []int64{metaID, pbID} {
			d := st.waitDelivery(t, tx, id, "delivered", 60*time.Second)
			if d["origin"] != "backfill" || d["kind"] != "conversion" {
				t.Errorf("delivery of %s to %d = %v, want a backfill conversion", tx, id, d)
			}
		}
		// Delivered by a new run of the transaction's own workflow.
		if run, _ := st.workflowRun(t, tx); run == completed[tx] {
			t.Errorf("%s: the backfill did not start a new run of its completed workflow (run %s)", tx, run)
		}
	}
	check := func(when string) {
		t.Helper()
		meta.assertValid(t)
		pb.assertValid(t)
		if n, m := meta.requests(), pb.requests(); n != 2 || m != 2 {
			t.Fatalf("%s: meta received %d requests and the postback %d, want 2 each", when, n, m)
		}
		metaIDs := meta.eventIDs()
		for tx, v := range wantValue {
			ds := st.deliveries(fmt.Sprintf("transaction_id=%s&destination_id=%d", tx, metaID))
			if len(ds) != 1 || metaIDs[ds[0]["event_id"].(string)] != 1 {
				t.Errorf("%s: meta saw event ids %v, want %s's delivery %v once", when, metaIDs, tx, ds)
			}
			if pbIDs := pb.eventIDs(); pbIDs[tx] != 1 {
				t.Errorf("%s: the postback saw %v, want %s once", when, pbIDs, tx)
			}
			for _, a := range meta.log() {
				if a.EventID == ds[0]["event_id"] && a.Fields["value"] != v {
					t.Errorf("meta got %s at %q, want its value now, %s", tx, a.Fields["value"], v)
				}
			}
		}
		for _, a := range pb.log() {
			if a.Fields["status"] != "approved" || a.Fields["payout"] != wantValue[a.EventID] {
				t.Errorf("postback for %s said %s %s, want approved %s", a.EventID, a.Fields["status"], a.Fields["payout"], wantValue[a.EventID])
			}
		}
	}
	check("after the backfill")

	// Again: everything is there already.
	code, body := st.admin("POST", fmt.Sprintf("/destinations/%d/backfill", metaID), `{"days":7}`)
	if code != http.StatusAccepted || num(body["deliveries_created"]) != 0 || num(body["already_delivered"]) != 2 {
		t.Fatalf("repeated backfill: %d %v, want nothing created, 2 already delivered", code, body)
	}
	time.Sleep(3 * time.Second) // a second send would arrive by now
	check("after a repeated backfill")
}

// TestBackfillLeftWithoutItsSignalIsHandedOverAgain: an API that stops after the
// backfill wrote its deliveries and before it signalled them (here: the store's
// backfill called directly, no signal) leaves pending deliveries no workflow knows
// of. The reconciler signals them after CONVRELAY_RECONCILE_AFTER; each reaches the
// platform once, and later sweeps send nothing more.
func TestBackfillLeftWithoutItsSignalIsHandedOverAgain(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, map[string]string{
		"CONVRELAY_SETTLE_WINDOW": "3s", "CONVRELAY_RECONCILE_AFTER": "2s"})
	sc := newScenario(t, st, "orphan")
	sc.postback("ORPHAN-1", "approved", url.Values{"commission": {"12"}})
	st.waitProcessed(t, "ORPHAN-1", 1)

	pb := newFake(t, "postback")
	pbID := sc.destination(pb, "")
	res, err := st.s.Store.Backfill(context.Background(), store.BackfillParams{AccountID: st.info.AccountID,
		DestinationID: pbID, Since: time.Now().Add(-24 * time.Hour)})
	if err != nil || len(res.Created) != 1 {
		t.Fatalf("backfill without hand-over: %v, %d created, want 1", err, len(res.Created))
	}
	if err := st.metricIs("convrelay_deliveries_awaiting_workflow", 1); err != nil {
		t.Fatal(err)
	}
	d := st.waitDelivery(t, "ORPHAN-1", pbID, "delivered", 60*time.Second)
	eventually(t, "/metrics shows no delivery awaiting its workflow", 10*time.Second, func() error {
		return st.metricIs("convrelay_deliveries_awaiting_workflow", 0)
	})
	if d["origin"] != "backfill" {
		t.Errorf("delivery %v, want origin backfill", d)
	}
	time.Sleep(5 * time.Second) // two more sweeps: a repeated hand-over would have sent again
	pb.assertValid(t)
	if n := pb.requests(); n != 1 {
		t.Fatalf("the platform received %d requests, want 1", n)
	}
}

// metricIs reads one unlabelled gauge from /metrics.
func (st *stack) metricIs(name string, want float64) error {
	resp, err := http.Get(st.info.APIBase + "/metrics")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			if got, err := strconv.ParseFloat(v, 64); err != nil || got != want {
				return fmt.Errorf("%s = %s, want %v", name, v, want)
			}
			return nil
		}
	}
	return fmt.Errorf("/metrics lacks %s", name)
}
