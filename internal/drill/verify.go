package drill

import (
	"context"
	"time"

	"github.com/convrelay/convrelay/internal/subproc"
)

// verify waits until the product has applied every postback and finished every
// delivery (or timeout passes), waits quiet more for late duplicates, then checks
// each transaction and each destination against the plans.
func (e *env) verify(ctx context.Context, plans []txPlan, timeout, quiet time.Duration) Result {
	start := time.Now()
	deadline := start.Add(timeout)
	lastNote := start
	var failure string
	settledPolls := 0
	for {
		snap, err := e.snapshot(ctx)
		if err == nil && snap.settled() {
			// Settled and right, or settled and still wrong after 10 s: final.
			settledPolls++
			if r := e.evaluate(plans, snap); r.OK() || settledPolls >= 5 {
				break
			}
		} else {
			settledPolls = 0
		}
		if err == nil && time.Since(lastNote) > 30*time.Second {
			e.step("waiting: %s", snap.backlog())
			lastNote = time.Now()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			if err != nil {
				failure = "admin API: " + err.Error()
			} else {
				failure = "not settled " + timeout.String() + " after the load: " + snap.backlog()
			}
			break
		}
		if subproc.Sleep(ctx, 2*time.Second) != nil {
			break
		}
	}
	drained := time.Since(start)
	_ = subproc.Sleep(ctx, quiet)
	snap, err := e.snapshot(ctx)
	var r Result
	if err != nil {
		r = Result{Transactions: len(plans)}
		r.problem("final read of the admin API: %v", err)
	} else {
		r = e.evaluate(plans, snap)
		if snap.failedPB > 0 {
			r.problem("%d accepted postbacks marked failed by the product", snap.failedPB)
		}
		if snap.failedDel > 0 {
			r.problem("%d deliveries marked failed by the product", snap.failedDel)
		}
	}
	if failure != "" {
		r.problem("%s", failure)
	}
	r.Notes = append(r.Notes, "drained "+drained.Round(time.Second).String()+" after the last postback was accepted")
	return r
}

// evaluate compares the product's conversions and the fakes' receipts with the plans.
func (e *env) evaluate(plans []txPlan, snap snapshot) Result {
	r := Result{Name: e.name, Transactions: len(plans), Delivered: map[string]int{}, Expected: map[string]int{}}
	known := map[string]bool{}
	hookGot, sourceGot := e.hook.received(), e.source.received()
	wantHook, wantSource := map[eventKey]bool{}, map[eventKey]bool{}
	for _, p := range plans {
		known[p.ID] = true
		rows := snap.byTx[p.ID]
		switch {
		case len(rows) == 0:
			r.Lost++
			r.problem("%s (%s): no conversion", p.ID, p.Kind)
		case len(rows) > 1:
			r.Duplicated += len(rows) - 1
			r.problem("%s (%s): %d conversions", p.ID, p.Kind, len(rows))
		}
		if len(rows) > 0 {
			c := rows[0]
			if c.Status != p.Status || !c.Value.Equal(p.Value) {
				r.Wrong++
				r.problem("%s (%s): conversion %s %s, want %s %s", p.ID, p.Kind, c.Status, c.Value, p.Status, p.Value)
			} else if len(rows) == 1 {
				r.Conversions++
			}
		}
		for _, k := range p.Webhook {
			wantHook[eventKey{p.ID, k}] = true
		}
		for _, k := range p.Postback {
			wantSource[eventKey{p.ID, k}] = true
		}
	}
	for _, d := range []struct {
		f    *fakeDest
		want map[eventKey]bool
		got  map[eventKey][]receipt
	}{{e.hook, wantHook, hookGot}, {e.source, wantSource, sourceGot}} {
		for k := range d.want {
			if k.Kind == "reversal" {
				r.ExpReversals++
			} else {
				r.Expected[d.f.Name]++
			}
			got := d.got[k]
			if len(got) == 0 {
				r.Lost++
				r.problem("%s: %s %s never received", d.f.Name, k.Tx, k.Kind)
				continue
			}
			dup, resent := duplicates(got, e.stack.crashes())
			if dup > 0 {
				r.Duplicated += dup
				r.problem("%s: %s %s received %d more times after a delivery the sender had seen answered", d.f.Name, k.Tx, k.Kind, dup)
			}
			r.Resent += resent
			if resent > 0 {
				if r.ResentBy == nil {
					r.ResentBy = map[string]int{}
				}
				r.ResentBy[d.f.Name] += resent
			}
			if ids := d.f.idsOf(k); ids > 1 && dup == 0 {
				r.Duplicated += ids - 1
				r.problem("%s: %s %s received under %d different event ids", d.f.Name, k.Tx, k.Kind, ids)
			}
			if k.Kind == "reversal" {
				r.Reversals++
			} else {
				r.Delivered[d.f.Name]++
			}
		}
		for k, got := range d.got {
			if !d.want[k] {
				r.Unexpected += len(got)
				r.problem("%s: %s %s received %d times, not expected", d.f.Name, k.Tx, k.Kind, len(got))
			}
		}
		if _, invalid, _ := d.f.stats(); len(invalid) > 0 {
			r.problem("%s: invalid requests: %v", d.f.Name, invalid)
		}
	}
	for tx, rows := range snap.byTx {
		if !known[tx] {
			r.Unexpected += len(rows)
			r.problem("conversion for unknown transaction %q", tx)
		}
	}
	return r
}

// crashWindow is how long after a destination's answer a crash (worker SIGKILL,
// PostgreSQL crash or restart) can still keep the product from recording the
// delivery: its re-send of the same event is then unavoidable, not a duplicate.
const crashWindow = 2 * time.Second

// duplicates splits an event's receipts at the first one the product could have
// recorded: the sender was still connected for the answer and no crash followed
// within crashWindow. Receipts after it are duplicates; those before it were
// re-sent because a crash hid the answer (same event id: platforms drop them).
func duplicates(got []receipt, crashes []time.Time) (dup, resent int) {
	for i, r := range got {
		if r.Answered && !crashedWithin(crashes, r.At, crashWindow) {
			return len(got) - i - 1, i
		}
	}
	return 0, len(got) - 1
}

func crashedWithin(crashes []time.Time, at time.Time, d time.Duration) bool {
	for _, c := range crashes {
		if !c.Before(at) && c.Sub(at) <= d {
			return true
		}
		// A request already on the wire when the worker was killed can be read by
		// the receiver just after the kill, before it notices the connection is
		// gone: its answer never reached the dead worker either.
		if c.Before(at) && at.Sub(c) <= inFlightAtCrash {
			return true
		}
	}
	return false
}

// inFlightAtCrash is how long after a crash a receipt may still be a request the
// crashed process had sent (the fakes answer within their latency).
const inFlightAtCrash = time.Second
