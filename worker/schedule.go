package worker

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/convrelay/convrelay/workflows"
)

// EnsureRetentionSchedule creates the retention schedule, or brings an existing
// one up to date with this worker's settings (cron spec, retention periods), so
// a changed CONVRELAY_RETENTION_* takes effect at the next worker start.
func EnsureRetentionSchedule(ctx context.Context, c client.Client, taskQueue, cron string, in workflows.RetentionInput) error {
	spec := client.ScheduleSpec{CronExpressions: []string{cron}}
	action := &client.ScheduleWorkflowAction{
		ID:        workflows.RetentionScheduleID,
		Workflow:  workflows.RetentionWorkflowName,
		Args:      []any{in},
		TaskQueue: taskQueue,
	}
	sc := c.ScheduleClient()
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID: workflows.RetentionScheduleID, Spec: spec, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "deletes postback log, clicks and deliveries, and removes conversions' personal data, past their retention",
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create retention schedule: %w", err)
	}
	err = sc.GetHandle(ctx, workflows.RetentionScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := u.Description.Schedule
			s.Spec, s.Action = &spec, action
			if s.Policy != nil {
				s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
			}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update retention schedule: %w", err)
	}
	return nil
}
