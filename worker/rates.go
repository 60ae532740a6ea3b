package worker

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/convrelay/convrelay/workflows"
)

// RatesSchedule is when reference rates are fetched: daily at 16:30 UTC, after the
// ECB's publication (around 16:00 CET).
var RatesSchedule = client.ScheduleSpec{Calendars: []client.ScheduleCalendarSpec{{
	Hour: []client.ScheduleRange{{Start: 16}}, Minute: []client.ScheduleRange{{Start: 30}},
}}}

// EnsureRatesSchedule creates the daily rates schedule if it does not exist yet.
// A new schedule runs once at once, so a fresh installation has rates without
// waiting for the next publication. Workers starting together race harmlessly:
// the loser sees the schedule already there.
func EnsureRatesSchedule(ctx context.Context, c client.Client, taskQueue string) error {
	if taskQueue == "" {
		taskQueue = workflows.DefaultTaskQueue
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:                 workflows.RatesScheduleID,
		Spec:               RatesSchedule,
		TriggerImmediately: true,
		// The default overlap policy skips a run while the previous one still retries.
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.RatesScheduleID,
			Workflow:  workflows.RatesWorkflowName,
			TaskQueue: taskQueue,
		},
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create rates schedule: %w", err)
	}
	return nil
}
