package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/convrelay/convrelay/internal/devstack"
)

// TestRecordHistories records real workflow histories into workflows/testdata for
// the replay test. It runs only when CONVRELAY_RECORD_HISTORIES=1 (after a change
// to the workflow, record new histories and keep the old ones: replaying both is
// what proves the change is safe for running workflows).
func TestRecordHistories(t *testing.T) {
	if os.Getenv("CONVRELAY_RECORD_HISTORIES") != "1" {
		t.Skip("set CONVRELAY_RECORD_HISTORIES=1 to record workflow histories")
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer hook.Close()
	st := startStack(t, t.TempDir(), devstack.Options{}, map[string]string{"CONVRELAY_SETTLE_WINDOW": "8s"})
	if code, body := st.admin("POST", "/destinations", `{"type":"webhook","name":"crm","config":{"url":"`+hook.URL+`","secret":"s3cret-key"}}`); code != http.StatusCreated {
		t.Fatalf("create destination: %d %v", code, body)
	}
	base := "/" + st.info.AccountID + "/collect/demo?click_id=c1&transaction_id=REC-1&commission=4.99"
	var wfID string
	for _, status := range []string{"pending", "approved", "approved", "rejected"} {
		code, body := st.call("GET", base+"&status="+status, "", "")
		if code != http.StatusOK {
			t.Fatalf("postback answered %d %v", code, body)
		}
		wfID = body["workflow_id"].(string)
		time.Sleep(500 * time.Millisecond)
	}
	ctx := context.Background()
	eventually(t, "workflow completes after the settle window", 60*time.Second, func() error {
		d, err := st.s.Temporal.DescribeWorkflowExecution(ctx, wfID, "")
		if err != nil {
			return err
		}
		if s := d.WorkflowExecutionInfo.Status; s != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			return fmt.Errorf("status %s", s)
		}
		return nil
	})
	hist := &historypb.History{}
	iter := st.s.Temporal.GetWorkflowHistory(ctx, wfID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		hist.Events = append(hist.Events, ev)
	}
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
	if err != nil {
		t.Fatal(err)
	}
	name := os.Getenv("CONVRELAY_HISTORY_NAME") // e.g. "v2": keeps earlier recordings beside the new one
	if name == "" {
		name = "latest"
	}
	out := filepath.Join("..", "..", "workflows", "testdata", "conversion_pending_approved_duplicate_rejected_"+name+".json")
	if err := os.WriteFile(out, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d events)", out, len(hist.Events))
}
