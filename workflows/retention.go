package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/internal/store"
)

// RetentionWorkflowName and RetentionScheduleID name the retention job: a
// Temporal schedule (created or updated at worker start) runs the workflow,
// which deletes what is older than each retention period in small batches.
const (
	RetentionWorkflowName = "RetentionWorkflow"
	RetentionScheduleID   = "convrelay-retention"
)

// RetentionInput is the schedule's argument: how long each kind of row is kept
// (0 keeps it for ever) and the batch size.
type RetentionInput struct {
	PostbackLog time.Duration `json:"postback_log"`
	Clicks      time.Duration `json:"clicks"`
	Deliveries  time.Duration `json:"deliveries"`
	// ConversionPersonal: a conversion's personal data (not the conversion)
	// after its last change. 0 in a schedule made before it: kept.
	ConversionPersonal time.Duration `json:"conversion_personal,omitempty"`
	// AuditLog: the audit trail (issue 27). 0 in a schedule made before it: kept.
	AuditLog time.Duration `json:"audit_log,omitempty"`
	Batch    int           `json:"batch"`
}

// RetentionResult counts what one run deleted, per table.
type RetentionResult struct {
	Deleted map[string]int64 `json:"deleted"`
}

// retentionStep is one table of a run and how long its rows are kept.
type retentionStep struct {
	table string
	keep  time.Duration
}

// batchesPerRun bounds one run's history; a run with more to do continues as new.
const batchesPerRun = 500

// RetentionWorkflow deletes expired rows table by table, a batch at a time,
// until a batch comes back short.
func RetentionWorkflow(ctx workflow.Context, in RetentionInput) (RetentionResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute, MaximumAttempts: 10},
	})
	if in.Batch <= 0 {
		in.Batch = 1000
	}
	res := RetentionResult{Deleted: map[string]int64{}}
	now := workflow.Now(ctx)
	batches := 0
	steps := []retentionStep{
		{store.RetainPostbackLog, in.PostbackLog},
		{store.RetainClicks, in.Clicks},
	}
	// The visitors table is gone (migration 021): a run recorded before that
	// takes its step on replay (its activity now deletes nothing).
	if workflow.GetVersion(ctx, "retention-no-visitors", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		steps = append(steps, retentionStep{store.RetainVisitors, in.Clicks})
	}
	steps = append(steps, retentionStep{store.RetainDeliveries, in.Deliveries})
	// Conversions' personal data came later: a run recorded before it does not
	// take this step on replay.
	if workflow.GetVersion(ctx, "retention-conversion-personal", workflow.DefaultVersion, 1) >= 1 {
		steps = append(steps, retentionStep{store.RetainConversionPersonal, in.ConversionPersonal})
	}
	// The audit log and expired console sessions came with the team (issue 27).
	if workflow.GetVersion(ctx, "retention-audit", workflow.DefaultVersion, 1) >= 1 {
		steps = append(steps, retentionStep{store.RetainAuditLog, in.AuditLog},
			retentionStep{store.RetainSessions, time.Nanosecond}) // expired: any age past expires_at
	}
	for _, t := range steps {
		if t.keep <= 0 {
			continue
		}
		for {
			if batches >= batchesPerRun {
				return res, workflow.NewContinueAsNewError(ctx, RetentionWorkflowName, in)
			}
			batches++
			var out activities.PurgeResult
			var a *activities.Activities
			err := workflow.ExecuteActivity(ctx, a.PurgeBatch, activities.PurgeInput{Table: t.table, Before: now.Add(-t.keep), Limit: in.Batch}).Get(ctx, &out)
			if err != nil {
				return res, err
			}
			res.Deleted[t.table] += out.Deleted
			if out.Deleted < int64(in.Batch) {
				break
			}
		}
	}
	workflow.GetLogger(ctx).Info("retention run done", "deleted", res.Deleted)
	return res, nil
}
