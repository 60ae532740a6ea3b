package workflows_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/convrelay/convrelay/workflows"
)

func mustDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestPendingApprovedRejected(t *testing.T) {
	f := newFixture(t)
	f.signalAt(time.Hour, f.postback("hit=h1&tx=T1&rev=4.99&status=pending"))
	f.signalAt(2*time.Hour, f.postback("hit=h1&tx=T1&rev=4.99&status=approved"))
	f.signalAt(3*time.Hour, f.postback("hit=h1&tx=T1&status=rejected"))
	f.run("T1", workflows.Input{})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	c := f.conversion("T1")
	if c.Status != "rejected" || c.DeletedAt == nil {
		t.Fatalf("final = %s deleted %v, want rejected and deleted", c.Status, c.DeletedAt)
	}
	want := []struct{ to, value string }{{"pending", "0.01"}, {"approved", "4.99"}, {"rejected", "4.99"}}
	if len(c.History) != len(want) {
		t.Fatalf("history = %+v, want %d entries", c.History, len(want))
	}
	for i, w := range want {
		if c.History[i].To != w.to || !c.History[i].Value.Equal(mustDec(w.value)) {
			t.Fatalf("history[%d] = %s %s, want %s %s", i, c.History[i].To, c.History[i].Value, w.to, w.value)
		}
	}
	// A webhook takes every life event: the pending conversion (0.01), its
	// approval (4.99), then the reversal.
	got := f.hook.received()
	if len(got) != 3 || got[0]["type"] != "conversion" || got[1]["type"] != "conversion" || got[2]["type"] != "reversal" {
		t.Fatalf("webhook received %v, want two conversion events then one reversal", got)
	}
	if v := got[0]["conversion"].(map[string]any)["value"]; v != "0.01" {
		t.Fatalf("first webhook event carries %v, want the pending value 0.01", v)
	}
	if v := got[1]["conversion"].(map[string]any)["value"]; v != "4.99" {
		t.Fatalf("second webhook event carries %v, want the approved value 4.99", v)
	}
	if o := f.outcomes("T1"); o["accepted"] != 3 {
		t.Fatalf("outcomes = %v, want 3 accepted", o)
	}
}

func TestLatePendingNeverDowngradesApproved(t *testing.T) {
	f := newFixture(t)
	f.signalAt(time.Hour, f.postback("hit=h1&tx=T2&rev=10&status=approved"))
	f.signalAt(2*time.Hour, f.postback("hit=h1&tx=T2&rev=10&status=pending"))
	f.run("T2", workflows.Input{})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	c := f.conversion("T2")
	if c.Status != "approved" || !c.Value.Equal(mustDec("10")) || len(c.History) != 1 {
		t.Fatalf("conversion = %s %s history %d, want approved 10 with one entry", c.Status, c.Value, len(c.History))
	}
	if o := f.outcomes("T2"); o["accepted"] != 1 || o["duplicate"] != 1 {
		t.Fatalf("outcomes = %v, want 1 accepted and 1 duplicate", o)
	}
}

func TestDuplicateChangesNothingAndDeliversNothing(t *testing.T) {
	f := newFixture(t)
	first := f.postback("hit=h1&tx=T3&rev=5&status=approved")
	f.signalAt(time.Hour, first, f.postback("hit=h1&tx=T3&rev=5.00&status=approved"))
	f.signalAt(2*time.Hour, first) // the same postback re-sent by the dispatcher
	f.run("T3", workflows.Input{})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	c := f.conversion("T3")
	if len(c.History) != 1 || len(f.hook.received()) != 1 {
		t.Fatalf("history %d, webhook %d; want 1 and 1", len(c.History), len(f.hook.received()))
	}
	if o := f.outcomes("T3"); o["accepted"] != 1 || o["duplicate"] != 1 {
		t.Fatalf("outcomes = %v, want 1 accepted, 1 duplicate", o)
	}
}

func TestReapprovalAfterRejection(t *testing.T) {
	f := newFixture(t)
	f.signalAt(time.Hour, f.postback("hit=h1&tx=T4&rev=5&status=approved"))
	f.signalAt(2*time.Hour, f.postback("hit=h1&tx=T4&status=rejected"))
	f.signalAt(3*time.Hour, f.postback("hit=h1&tx=T4&rev=7&status=approved"))
	f.run("T4", workflows.Input{})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	c := f.conversion("T4")
	if c.Status != "approved" || !c.Value.Equal(mustDec("7")) || c.DeletedAt != nil || len(c.History) != 3 {
		t.Fatalf("conversion = %s %s deleted %v history %d, want approved 7, live, 3 entries", c.Status, c.Value, c.DeletedAt, len(c.History))
	}
}

func TestSettleWindowEndsRunAndNextRunLoadsState(t *testing.T) {
	f := newFixture(t)
	f.signalAt(time.Hour, f.postback("hit=h1&tx=T5&rev=5&status=approved"))
	start := f.env.Now()
	f.run("T5", workflows.Input{SettleWindow: 45 * 24 * time.Hour})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if elapsed := f.env.Now().Sub(start); elapsed < 45*24*time.Hour {
		t.Fatalf("workflow completed after %s, before the 45-day settle window", elapsed)
	}
	// A reversal after the window starts a new run that loads "approved 5" from PostgreSQL.
	f.newEnv()
	f.signalAt(time.Minute, f.postback("hit=h1&tx=T5&status=rejected"))
	f.run("T5", workflows.Input{SettleWindow: time.Hour})
	c := f.conversion("T5")
	if c.Status != "rejected" || len(c.History) != 2 || c.History[1].From != "approved" {
		t.Fatalf("after second run = %s with history %+v, want approved -> rejected", c.Status, c.History)
	}
}

func TestContinueAsNewCarriesStateAndBufferedSignals(t *testing.T) {
	f := newFixture(t)
	f.signalAt(time.Hour, f.postback("hit=h1&tx=T6&rev=5&status=pending"))
	third := f.postback("hit=h1&tx=T6&status=rejected")
	f.signalAt(2*time.Hour, f.postback("hit=h1&tx=T6&rev=5&status=approved"), third)
	f.run("T6", workflows.Input{MaxPostbacksPerRun: 2})
	var can *workflow.ContinueAsNewError
	if err := f.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v, want continue-as-new", err)
	}
	var next workflows.Input
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.State == nil || next.State.Status != "approved" || next.Deadline.IsZero() {
		t.Fatalf("carried state = %+v deadline %v, want approved with the original deadline", next.State, next.Deadline)
	}
	if len(next.Pending) != 1 || next.Pending[0].PostbackID != third.PostbackID {
		t.Fatalf("carried pending = %+v, want the buffered rejection", next.Pending)
	}
	// The next run applies the carried signal.
	f.newEnv()
	next.MaxPostbacksPerRun = 0
	next.SettleWindow = time.Hour
	next.Deadline = time.Time{}
	f.run("T6", next)
	if c := f.conversion("T6"); c.Status != "rejected" || len(c.History) != 3 {
		t.Fatalf("after continue-as-new = %s history %d, want rejected with 3 entries", c.Status, len(c.History))
	}
}

func TestStateQuery(t *testing.T) {
	f := newFixture(t)
	f.signalAt(time.Hour, f.postback("hit=h1&tx=T7&rev=3&status=approved"))
	queried := false
	f.env.RegisterDelayedCallback(func() {
		queried = true
		v, err := f.env.QueryWorkflow(workflows.StateQueryName)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		var view workflows.StateView
		if err := v.Get(&view); err != nil {
			t.Errorf("decode query: %v", err)
			return
		}
		if view.State.Status != "approved" || !view.State.Value.Equal(mustDec("3")) || len(view.History) != 1 {
			t.Errorf("state query = %+v, want approved 3 with one transition", view)
		}
	}, 2*time.Hour)
	f.run("T7", workflows.Input{SettleWindow: 3 * time.Hour})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if !queried {
		t.Fatal("the state query never ran while the workflow was open")
	}
}
