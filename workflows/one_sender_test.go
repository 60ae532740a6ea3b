package workflows_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/workflows"
)

// handOverAgainAt signals the transaction's only delivery to the run again,
// times times, at a workflow-clock offset (what the hand-over reconciler does).
func (f *fixture) handOverAgainAt(after time.Duration, times int) {
	f.env.RegisterDelayedCallback(func() {
		var id, destID int64
		if err := f.st.Pool.QueryRow(context.Background(), `SELECT id, destination_id FROM deliveries`).Scan(&id, &destID); err != nil {
			f.t.Errorf("delivery row: %v", err)
			return
		}
		ref := conv.DeliveryRef{ID: id, DestinationID: destID, DestinationType: "webhook", Summary: "again"}
		for range times {
			f.env.SignalWorkflow(workflows.RedeliverSignalName, workflows.RedeliverSignal{Delivery: ref})
		}
	}, after)
}

// A delivery handed over again while the run is sending it (the reconciler
// repeats a signal it cannot see arrive) has one sender: the repeats are dropped,
// the platform gets the event once, and the attempts are those of one sender.
func TestDeliveryHandedOverAgainWhileInFlightHasOneSender(t *testing.T) {
	f := newFixture(t, http.StatusServiceUnavailable, http.StatusServiceUnavailable)
	n := f.countDeliveryAttempts()
	f.signalAt(time.Minute, f.postback("hit=h1&tx=ONE-1&rev=5&status=approved"))
	// Between the failed first attempt and the retried activity's success.
	f.handOverAgainAt(time.Minute+500*time.Millisecond, 2)
	f.run("ONE-1", workflows.Input{SettleWindow: time.Hour})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if got := len(f.hook.received()); got != 1 {
		t.Fatalf("webhook accepted %d requests, want 1", got)
	}
	if n.local != 1 || n.task != 2 {
		t.Fatalf("deliver ran %d times locally and %d as an activity task, want 1 and 2 (one sender)", n.local, n.task)
	}
	if status, attempts := f.deliveryRow("ONE-1"); status != "delivered" || attempts != 3 {
		t.Fatalf("delivery %s after %d attempts, want delivered after 3", status, attempts)
	}
}

// A repeated hand-over of a delivery that failed sends nothing: only a re-drive,
// which puts it back to pending first, sends a failed delivery again.
func TestRepeatedHandOverOfAFailedDeliverySendsNothing(t *testing.T) {
	f := newFixture(t, http.StatusBadRequest)
	f.signalAt(time.Minute, f.postback("hit=h1&tx=ONE-2&rev=5&status=approved"))
	f.handOverAgainAt(2*time.Minute, 1)
	f.run("ONE-2", workflows.Input{SettleWindow: time.Hour})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if got := len(f.hook.received()); got != 0 {
		t.Fatalf("webhook accepted %d requests after the refusal, want 0", got)
	}
	if status, attempts := f.deliveryRow("ONE-2"); status != "failed" || attempts != 1 {
		t.Fatalf("delivery %s after %d attempts, want failed after 1", status, attempts)
	}
}
