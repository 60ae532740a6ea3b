package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/internal/devstack"
	"github.com/convrelay/convrelay/workflows"
)

// TestRecordHistoryRetention records, for the replay test, one run of the
// retention workflow triggered through the worker's schedule (every step at
// its default period) into workflows/testdata/retention_<name>.json
// (CONVRELAY_HISTORY_NAME, "latest" by default). It runs only when
// CONVRELAY_RECORD_HISTORIES=1, like TestRecordHistories.
func TestRecordHistoryRetention(t *testing.T) {
	if os.Getenv("CONVRELAY_RECORD_HISTORIES") != "1" {
		t.Skip("set CONVRELAY_RECORD_HISTORIES=1 to record workflow histories")
	}
	st := startStack(t, t.TempDir(), devstack.Options{}, map[string]string{})
	ctx := context.Background()
	h := st.s.Temporal.ScheduleClient().GetHandle(ctx, workflows.RetentionScheduleID)
	eventually(t, "retention schedule exists", 60*time.Second, func() error {
		_, err := h.Describe(ctx)
		return err
	})
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	var wfID string
	eventually(t, "triggered retention run completes", 60*time.Second, func() error {
		d, err := h.Describe(ctx)
		if err != nil {
			return err
		}
		if len(d.Info.RecentActions) == 0 {
			return fmt.Errorf("no action yet")
		}
		run := d.Info.RecentActions[len(d.Info.RecentActions)-1].StartWorkflowResult
		var res workflows.RetentionResult
		if err := st.s.Temporal.GetWorkflow(ctx, run.WorkflowID, run.FirstExecutionRunID).Get(ctx, &res); err != nil {
			return err
		}
		wfID = run.WorkflowID
		return nil
	})
	raw := historyJSON(t, st, wfID)
	name := os.Getenv("CONVRELAY_HISTORY_NAME")
	if name == "" {
		name = "latest"
	}
	out := filepath.Join("..", "..", "workflows", "testdata", "retention_"+name+".json")
	if err := os.WriteFile(out, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(raw))
}
