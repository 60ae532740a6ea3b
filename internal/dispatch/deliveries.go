package dispatch

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/workflows"
)

// Windows are a run's settle and delivery retry windows, for a run a signal starts.
type Windows struct {
	Settle, Delivery time.Duration
}

// SignalDelivery hands a delivery the API wrote (a backfill, a hand-over again)
// to its transaction's workflow with SignalWithStart: a transaction whose
// workflow has completed gets a new run, started with the search attributes and
// memo of the conversion as it is.
func SignalDelivery(ctx context.Context, c client.Client, taskQueue string, w Windows, h store.DeliveryHandOver) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	opts, in := workflows.StartOptions(taskQueue, workflows.Start{AccountID: h.AccountID, TxKey: h.TxKey,
		Integration: h.Integration, Status: h.Status, TransactionID: h.TransactionID, EventName: h.EventName,
		ClickID: h.ClickID, Value: h.Value.String(), Currency: h.Currency,
		SettleWindow: w.Settle, DeliveryWindow: w.Delivery})
	_, err := c.SignalWithStartWorkflow(ctx, opts.ID, workflows.RedeliverSignalName,
		workflows.RedeliverSignal{Delivery: h.Ref}, opts, workflows.ConversionWorkflowName, in)
	if err != nil {
		return fmt.Errorf("signal %s with delivery %d: %w", opts.ID, h.Ref.ID, err)
	}
	return nil
}

// awaitingBatch bounds one sweep of deliveries awaiting their workflow.
const awaitingBatch = 500

// reconcileDeliveries signals again the deliveries the API wrote (a backfill, a
// re-drive) that no workflow has started after ReconcileAfter: the API stopped
// between writing them and its signal, or the signal was lost. A workflow that
// has the delivery already sends it once (it drops a repeat in flight, and the
// Deliver activity skips one delivered or failed).
func (d *Dispatcher) reconcileDeliveries(ctx context.Context) {
	due, err := d.store.AwaitingWorkflow(ctx, d.opts.ReconcileAfter, awaitingBatch)
	if err != nil {
		if ctx.Err() == nil {
			d.opts.Logger.Warn("reconciler: deliveries awaiting their workflow", "error", err)
		}
		return
	}
	if len(due) == 0 {
		return
	}
	d.opts.Logger.Warn("reconciler: handing over again deliveries no workflow started", "count", len(due), "after", d.opts.ReconcileAfter)
	for _, h := range due {
		if err := SignalDelivery(ctx, d.client, d.opts.TaskQueue, Windows{d.opts.SettleWindow, d.opts.DeliveryWindow}, h); err != nil {
			// Still awaiting: the next sweep after ReconcileAfter tries again.
			d.opts.Logger.Warn("reconciler: hand over delivery", "delivery_id", h.Ref.ID, "error", err)
		}
	}
}
