package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convrelay/convrelay/activities"
)

// Names of the daily rates fetch: a Temporal schedule starts RatesWorkflow, which
// runs the FetchRates activity.
const (
	RatesWorkflowName = "RatesWorkflow"
	RatesScheduleID   = "convrelay-rates"
)

var ratesAct *activities.Rates

// RatesWorkflow fetches the day's reference rates and converts the conversions
// that were waiting for them. A source that is down is retried for a few hours;
// the next day's run catches up in any case.
func RatesWorkflow(ctx workflow.Context) (activities.FetchRatesResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    5 * time.Minute,
		ScheduleToCloseTimeout: 6 * time.Hour,
		Summary:                "fetch reference rates",
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    10 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Minute,
		},
	})
	var res activities.FetchRatesResult
	err := workflow.ExecuteActivity(ctx, ratesAct.FetchRates).Get(ctx, &res)
	return res, err
}
