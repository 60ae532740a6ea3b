package workflows_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/convrelay/convrelay/workflows"
)

// deliveryAttempts counts how the Deliver activity ran: inside the workflow task
// (local) or as a retried activity task.
type deliveryAttempts struct{ local, task int }

func (f *fixture) countDeliveryAttempts() *deliveryAttempts {
	var n deliveryAttempts
	f.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		if info.ActivityType.Name == "Deliver" {
			n.local++
		}
	})
	f.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "Deliver" {
			n.task++
		}
	})
	return &n
}

func (f *fixture) deliveryRow(txID string) (status string, attempts int) {
	f.t.Helper()
	err := f.st.Pool.QueryRow(context.Background(), `SELECT d.status, d.attempts FROM deliveries d
		JOIN conversions c ON c.id = d.conversion_id WHERE c.transaction_id = $1`, txID).Scan(&status, &attempts)
	if err != nil {
		f.t.Fatalf("delivery of %s: %v", txID, err)
	}
	return status, attempts
}

// A platform that answers at once is delivered to inside the workflow task that
// recorded the conversion: no activity task.
func TestFirstDeliveryAttemptRunsInTheWorkflowTask(t *testing.T) {
	f := newFixture(t)
	n := f.countDeliveryAttempts()
	f.signalAt(time.Minute, f.postback("hit=h1&tx=L1&rev=5&status=approved"))
	f.run("L1", workflows.Input{SettleWindow: time.Hour})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if n.local != 1 || n.task != 0 {
		t.Fatalf("deliver ran %d times locally and %d as an activity task, want 1 and 0", n.local, n.task)
	}
	if got := len(f.hook.received()); got != 1 {
		t.Fatalf("webhook received %d requests, want 1", got)
	}
	if status, attempts := f.deliveryRow("L1"); status != "delivered" || attempts != 1 {
		t.Fatalf("delivery %s after %d attempts, want delivered after 1", status, attempts)
	}
}

// A platform that fails the first attempt gets the retried activity, which carries
// on the attempt count; the event reaches the platform once.
func TestFailedFirstAttemptFallsBackToTheRetriedActivity(t *testing.T) {
	f := newFixture(t, http.StatusServiceUnavailable, http.StatusServiceUnavailable)
	n := f.countDeliveryAttempts()
	f.signalAt(time.Minute, f.postback("hit=h1&tx=L2&rev=5&status=approved"))
	f.run("L2", workflows.Input{SettleWindow: time.Hour})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if n.local != 1 || n.task != 2 {
		t.Fatalf("deliver ran %d times locally and %d as an activity task, want 1 and 2", n.local, n.task)
	}
	if got := len(f.hook.received()); got != 1 {
		t.Fatalf("webhook accepted %d requests, want 1", got)
	}
	if status, attempts := f.deliveryRow("L2"); status != "delivered" || attempts != 3 {
		t.Fatalf("delivery %s after %d attempts, want delivered after 3", status, attempts)
	}
}

// A refusal no retry can fix on the first attempt fails the delivery at once,
// without an activity task.
func TestRefusedFirstAttemptFailsTheDelivery(t *testing.T) {
	f := newFixture(t, http.StatusBadRequest)
	n := f.countDeliveryAttempts()
	f.signalAt(time.Minute, f.postback("hit=h1&tx=L3&rev=5&status=approved"))
	f.run("L3", workflows.Input{SettleWindow: time.Hour})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if n.local != 1 || n.task != 0 {
		t.Fatalf("deliver ran %d times locally and %d as an activity task, want 1 and 0", n.local, n.task)
	}
	if status, attempts := f.deliveryRow("L3"); status != "failed" || attempts != 1 {
		t.Fatalf("delivery %s after %d attempts, want failed after 1", status, attempts)
	}
}
