package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/workflows"
)

// A database outage longer than any single retry round only delays the postback:
// the workflow keeps retrying its database steps and applies it once the database
// answers again.
func TestDatabaseOutageOnlyDelaysThePostback(t *testing.T) {
	f := newFixture(t)
	real := &activities.Activities{Store: f.st, Sender: loopbackSender(), Logger: slog.New(slog.DiscardHandler)}
	var calls atomic.Int64
	down := errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	// Down for the first 30 attempts: well past one round's two minutes of local retries.
	f.env.OnActivity(real.Prepare, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.PrepareInput) (activities.PrepareResult, error) {
			if calls.Add(1) <= 30 {
				return activities.PrepareResult{}, down
			}
			return real.Prepare(ctx, in)
		})
	f.signalAt(time.Minute, f.postback("hit=h1&tx=OUT1&rev=7&status=approved"))
	f.run("OUT1", workflows.Input{})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if calls.Load() <= 30 {
		t.Fatalf("prepare ran %d times: the workflow gave up during the outage", calls.Load())
	}
	c := f.conversion("OUT1")
	if c.Status != "approved" || !c.Value.Equal(mustDec("7")) {
		t.Fatalf("after the outage: %s %s, want approved 7", c.Status, c.Value)
	}
	if o := f.outcomes("OUT1"); o["accepted"] != 1 {
		t.Fatalf("outcomes = %v, want the postback applied once", o)
	}
}

// A postback whose content is gone can never be applied: it is marked failed with
// its class and reason (visible, re-drivable), and the workflow goes on.
func TestPostbackThatCanNeverApplyIsMarkedFailed(t *testing.T) {
	f := newFixture(t)
	gone := f.postback("hit=h1&tx=GONE&rev=3&status=approved")
	if _, err := f.st.Pool.Exec(context.Background(), `UPDATE postback_log SET canonical = NULL WHERE id = $1`, gone.PostbackID); err != nil {
		t.Fatal(err)
	}
	later := f.postback("hit=h1&tx=GONE&rev=4&status=approved")
	f.signalAt(time.Minute, gone)
	f.signalAt(2*time.Minute, later)
	f.run("GONE", workflows.Input{})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	e, err := f.st.GetLog(context.Background(), f.account.ID, gone.PostbackID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Outcome != "failed" || e.FailedReason != store.FailedMissing || e.Error == "" {
		t.Fatalf("gone postback = outcome %q class %q error %q, want failed/%s with a reason", e.Outcome, e.FailedReason, e.Error, store.FailedMissing)
	}
	if c := f.conversion("GONE"); c.Status != "approved" || !c.Value.Equal(mustDec("4")) {
		t.Fatalf("the next postback was not applied: %s %s", c.Status, c.Value)
	}
}
