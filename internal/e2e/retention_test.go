package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/internal/devstack"
	"github.com/convrelay/convrelay/workflows"
)

// The worker sets the retention schedule at start, and a run it triggers
// completes against the stack's database.
func TestRetentionScheduleIsSetAndRuns(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, map[string]string{})
	triggerRetention(t, st)
}

// triggerRetention waits for the worker's retention schedule, triggers a run
// and waits for it to complete; it returns the run's workflow id.
func triggerRetention(t *testing.T, st *stack) string {
	t.Helper()
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
	return wfID
}
