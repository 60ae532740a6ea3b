package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/devstack"
)

// runLooks is what an operator sees of a run in the Temporal UI: its search
// attributes and its memo, decoded.
func (st *stack) runLooks(t *testing.T, tx, runID string) (map[string]string, map[string]string) {
	t.Helper()
	resp, err := st.s.Temporal.DescribeWorkflowExecution(context.Background(), conv.WorkflowID(st.info.AccountID, tx), runID)
	if err != nil {
		t.Fatalf("describe %s run %s: %v", tx, runID, err)
	}
	info := resp.GetWorkflowExecutionInfo()
	attrs, memo := map[string]string{}, map[string]string{}
	dc := converter.GetDefaultDataConverter()
	for k, p := range info.GetSearchAttributes().GetIndexedFields() {
		var v any
		if err := dc.FromPayload(p, &v); err != nil {
			t.Fatalf("search attribute %s: %v", k, err)
		}
		if k == "TemporalChangeVersion" || k == "BuildIds" {
			continue // the server's and the SDK's own
		}
		attrs[k] = fmt.Sprint(v)
	}
	for k, p := range info.GetMemo().GetFields() {
		var v any
		if err := dc.FromPayload(p, &v); err != nil {
			t.Fatalf("memo %s: %v", k, err)
		}
		memo[k] = fmt.Sprint(v)
	}
	return attrs, memo
}

// TestReDriveOfAClosedWorkflowStartsARunLikeALiveOne: a delivery that failed is
// re-driven after its transaction's workflow completed. The re-drive goes through
// the dispatcher's delivery hand-over, so the new run starts with the search
// attributes and memo of the live run (transaction id, click id, status, event,
// integration; value and currency), not with the account alone.
func TestReDriveOfAClosedWorkflowStartsARunLikeALiveOne(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, map[string]string{"CONVRELAY_SETTLE_WINDOW": "3s"})
	sc := newScenario(t, st, "redrive")
	pb := newFake(t, "postback", answer{Status: http.StatusBadRequest}, answer{Status: http.StatusOK}) // refused once: not retried
	destID := sc.destination(pb, "")
	sc.postback("RD-1", "approved", url.Values{"commission": {"21.5"}})
	d := st.waitDelivery(t, "RD-1", destID, "failed", 60*time.Second)

	var liveRun string
	eventually(t, "the transaction's workflow completed", 60*time.Second, func() error {
		run, status := st.workflowRun(t, "RD-1")
		if status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			return fmt.Errorf("RD-1 is %s", status)
		}
		liveRun = run
		return nil
	})
	liveAttrs, liveMemo := st.runLooks(t, "RD-1", liveRun)
	if liveAttrs["TransactionId"] != "RD-1" || liveAttrs["ClickId"] == "" || liveMemo["value"] == "" {
		t.Fatalf("the live run shows %v %v: the comparison below would prove nothing", liveAttrs, liveMemo)
	}

	code, body := st.admin("POST", fmt.Sprintf("/deliveries/%v/retry", d["id"]), "")
	if code != http.StatusAccepted {
		t.Fatalf("retry: %d %v", code, body)
	}
	st.waitDelivery(t, "RD-1", destID, "delivered", 60*time.Second)
	newRun, _ := st.workflowRun(t, "RD-1")
	if newRun == liveRun {
		t.Fatalf("the re-drive did not start a new run")
	}
	attrs, memo := st.runLooks(t, "RD-1", newRun)
	if fmt.Sprint(attrs) != fmt.Sprint(liveAttrs) {
		t.Errorf("re-driven run's search attributes %v, want the live run's %v", attrs, liveAttrs)
	}
	if fmt.Sprint(memo) != fmt.Sprint(liveMemo) {
		t.Errorf("re-driven run's memo %v, want the live run's %v", memo, liveMemo)
	}
}
