// Package dispatch hands accepted postbacks from the postback log to their
// transaction's workflow with SignalWithStart, by reference (the postback id and a
// few routing fields). The intake only writes the log row and pokes the
// dispatcher, so it never waits on Temporal.
//
// Three promises hold here:
//   - Nothing blocks: a hand-over that fails for a passing reason goes back to the
//     log with a backoff (later postbacks of the same transaction wait behind it,
//     nothing else does); a refusal that can never succeed marks the row failed
//     with the reason.
//   - Fair across accounts: only a window of postbacks is in Temporal at a time
//     (handed over, not yet applied); the rest wait in PostgreSQL, where every
//     claim takes each account's oldest rows in turn, so one account's burst
//     delays another account's postback by at most the window.
//   - Nothing is forgotten: rows claimed but never handed over are claimable again
//     after StaleAfter, and the reconciler hands over again rows not applied long
//     after their hand-over. The workflow and the store drop a repeat.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/internal/accountcache"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/internal/tracing"
	"github.com/convrelay/convrelay/workflows"
)

// Options configure a Dispatcher.
type Options struct {
	TaskQueue      string
	SettleWindow   time.Duration
	DeliveryWindow time.Duration
	Shards         int           // parallel hand-over lanes; one transaction always uses the same lane
	StaleAfter     time.Duration // a claim older than this is taken over (its holder died or lost it)
	PollInterval   time.Duration // how often the log is swept without a poke
	Window         int           // postbacks handed over and not yet applied, at most
	ReconcileAfter time.Duration // a postback handed over this long ago and not applied is handed over again
	// Accounts is the process's one account reader; nil: one of its own.
	Accounts AccountReader
	Logger   *slog.Logger
	// OnDispatched, when set, is called with the age of each postback handed over.
	OnDispatched func(age time.Duration)
}

// AccountReader reads an account (the process's one accountcache.Reader).
type AccountReader interface {
	Account(ctx context.Context, id string) (store.Account, error)
}

// Defaults.
const (
	DefaultWindow         = 32
	DefaultReconcileAfter = 10 * time.Minute
	claimBatch            = 500
	busyPoll              = 50 * time.Millisecond // sweep interval while work is waiting
	maxBackoff            = time.Minute
)

// Every call the dispatcher makes is bounded: one call that never returns (a
// lost connection, a lock, a starved pool) would otherwise hold its lane, or the
// sweep, and with them the window that every account shares.
const (
	sweepTimeout    = 15 * time.Second // counting in flight, claiming
	handOverTimeout = 10 * time.Second // one postback's hand-over, its account lookup included
	lookupTimeout   = 2 * time.Second  // the account's currency, for the memo only
	writeTimeout    = 10 * time.Second // a deferral or a failure written back to the log
	slowAfter       = 5 * time.Second  // a sweep or hand-over slower than this is logged
)

// Dispatcher moves accepted postbacks from the log to Temporal.
type Dispatcher struct {
	store  *store.Store
	client client.Client
	opts   Options
	poke   chan struct{}
	queued atomic.Int64 // rows routed to lanes and not yet marked handed over (or given back)
	claims atomic.Int64 // numbers the claims, so a lane knows which rows came together
	// Since when the window has been full, and when that was last logged (the sweep's own).
	fullSince, fullLogged time.Time
}

// New builds a dispatcher; Run starts it.
func New(st *store.Store, c client.Client, opts Options) *Dispatcher {
	if opts.TaskQueue == "" {
		opts.TaskQueue = workflows.DefaultTaskQueue
	}
	if opts.Shards <= 0 {
		opts.Shards = 16
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = time.Minute
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.ReconcileAfter <= 0 {
		opts.ReconcileAfter = DefaultReconcileAfter
	}
	if opts.Accounts == nil {
		opts.Accounts = accountcache.New(st, 0)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Dispatcher{store: st, client: c, opts: opts, poke: make(chan struct{}, 1)}
}

// Poke tells the dispatcher a new row is waiting; it never blocks.
func (d *Dispatcher) Poke() {
	select {
	case d.poke <- struct{}{}:
	default:
	}
}

// Run sweeps the log until ctx ends, then releases its unsent claims so the next
// process takes them over at once.
func (d *Dispatcher) Run(ctx context.Context) error {
	lanes := make([]chan claimed, d.opts.Shards)
	done := make(chan store.Waiting, 1024)
	var wg sync.WaitGroup
	for i := range lanes {
		// A lane never holds more than the window, so routing never blocks.
		lanes[i] = make(chan claimed, d.opts.Window+claimBatch)
		wg.Add(1)
		go func(lane chan claimed) {
			defer wg.Done()
			d.runLane(ctx, lane, done)
		}(lanes[i])
	}
	markerDone := make(chan struct{})
	go func() { d.runMarker(done); close(markerDone) }()
	wg.Add(1)
	go func() { defer wg.Done(); d.runReconciler(ctx) }()

	ticker := time.NewTicker(d.opts.PollInterval)
	defer ticker.Stop()
	for ctx.Err() == nil {
		busy := d.sweep(ctx, lanes)
		var busyTick <-chan time.Time
		if busy {
			busyTick = time.After(busyPoll)
		}
		select {
		case <-ctx.Done():
		case <-busyTick:
		case <-d.poke:
			if !busy {
				// Coalesce a burst of pokes into one sweep.
				select {
				case <-ctx.Done():
				case <-time.After(5 * time.Millisecond):
				}
			}
		case <-ticker.C:
		}
	}
	wg.Wait()
	close(done)
	<-markerDone
	releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := d.store.ReleaseClaims(releaseCtx); err != nil {
		d.opts.Logger.Warn("dispatcher: release claims", "error", err)
	}
	return nil
}

// sweep claims as many waiting rows as the window has room for and routes them to
// their lanes. It reports whether work is likely still waiting (the window was
// full, or the claim was cut by it), so the caller sweeps again soon.
func (d *Dispatcher) sweep(ctx context.Context, lanes []chan claimed) bool {
	began := time.Now()
	cctx, cancel := context.WithTimeout(ctx, sweepTimeout)
	defer cancel()
	// Queued first: a row the marker marks between the two reads is then counted
	// twice (room errs small), never not at all.
	queued := int(d.queued.Load())
	inFlight, err := d.store.InFlight(cctx, d.opts.ReconcileAfter)
	if err != nil {
		if ctx.Err() == nil {
			d.opts.Logger.Error("dispatcher: count in flight", "error", err, "took", time.Since(began))
		}
		return false
	}
	room := d.opts.Window - inFlight - queued
	if room <= 0 {
		d.noteFullWindow(inFlight, queued)
		return true
	}
	d.fullSince = time.Time{}
	limit := min(room, claimBatch)
	counted := time.Now()
	rows, err := d.store.ClaimWaiting(cctx, d.opts.StaleAfter, limit)
	if err != nil {
		if ctx.Err() == nil {
			d.opts.Logger.Error("dispatcher: claim failed", "error", err, "took", time.Since(counted))
		}
		return false
	}
	if took := time.Since(began); took > slowAfter {
		d.opts.Logger.Warn("dispatcher: slow sweep", "took", took, "counting", counted.Sub(began), "claimed", len(rows))
	}
	claim := d.claims.Add(1)
	for _, r := range rows {
		d.queued.Add(1)
		lanes[laneOf(r.WorkflowID, len(lanes))] <- claimed{Waiting: r, claim: claim}
	}
	return len(rows) == limit
}

// noteFullWindow logs, at most every slowAfter, a window that stays full: the
// postbacks counted in flight are not being applied (Temporal or the worker is
// behind), or lanes are slow to hand over what they hold.
func (d *Dispatcher) noteFullWindow(inFlight, queued int) {
	now := time.Now()
	if d.fullSince.IsZero() {
		d.fullSince, d.fullLogged = now, now
		return
	}
	if now.Sub(d.fullLogged) >= slowAfter {
		d.fullLogged = now
		d.opts.Logger.Warn("dispatcher: window full", "for", now.Sub(d.fullSince).Round(time.Millisecond),
			"in_flight", inFlight, "queued", queued, "window", d.opts.Window)
	}
}

func laneOf(workflowID string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(workflowID))
	return int(h.Sum32() % uint32(n))
}

// claimed is a row routed to a lane, with the number of the claim that took it.
type claimed struct {
	store.Waiting
	claim int64
}

// runLane hands rows over one at a time, so that a transaction's postbacks reach
// its workflow in the order they were accepted. A row whose hand-over fails for a
// passing reason goes back to the log with a backoff, and so do the later rows of
// its transaction in the same claim, however long the lane takes to reach them:
// the next claim takes them again together, in order (a later row is never
// claimed while an earlier one is held or waits out its backoff). Other
// transactions go on.
func (d *Dispatcher) runLane(ctx context.Context, lane <-chan claimed, done chan<- store.Waiting) {
	held := map[string]heldBack{} // workflow id -> the claim whose earlier row failed
	for {
		var row claimed
		select {
		case <-ctx.Done():
			return
		case row = <-lane:
		}
		if !d.handle(ctx, row, held, done) {
			d.queued.Add(-1)
		}
	}
}

// heldBack: a transaction's rows of one claim go back to the log until a time.
type heldBack struct {
	claim int64
	until time.Time
}

// handle hands a row over, or back to the log; it reports whether the row went
// to the marker, which then owns its place in the window.
func (d *Dispatcher) handle(ctx context.Context, row claimed, held map[string]heldBack, done chan<- store.Waiting) bool {
	if h, ok := held[row.WorkflowID]; ok {
		if h.claim == row.claim {
			d.deferRow(ctx, row.Waiting, h.until)
			return false
		}
		delete(held, row.WorkflowID) // a later claim: the earlier rows came with it, in order
	}
	err := d.handOver(ctx, row.Waiting)
	if err == nil {
		done <- row.Waiting
		if d.opts.OnDispatched != nil {
			d.opts.OnDispatched(time.Since(row.ReceivedAt))
		}
		return true
	}
	if ctx.Err() != nil {
		return false // released at shutdown
	}
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) {
		// Retrying cannot help: the row is failed, visible and re-drivable.
		d.opts.Logger.Error("dispatcher: Temporal refused postback", "postback_id", row.ID, "workflow_id", row.WorkflowID, "error", err)
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		defer cancel()
		if err := d.store.MarkFailed(wctx, row.ID, store.FailedRefused, "Temporal refused the hand-over: "+invalid.Error()); err != nil {
			d.opts.Logger.Error("dispatcher: mark failed", "postback_id", row.ID, "error", err)
		}
		return false
	}
	backoff := min(200*time.Millisecond<<min(row.Attempts, 16), maxBackoff)
	until := time.Now().Add(backoff)
	held[row.WorkflowID] = heldBack{claim: row.claim, until: until}
	if len(held) > 4096 {
		pruneHeld(held, row.claim)
	}
	d.opts.Logger.Warn("dispatcher: hand-over failed, retrying later", "postback_id", row.ID, "workflow_id", row.WorkflowID,
		"retry_in", backoff, "error", err)
	d.deferRow(ctx, row.Waiting, until)
	return false
}

// pruneHeld forgets transactions held back by claims the lane has passed.
func pruneHeld(held map[string]heldBack, current int64) {
	for wf, h := range held {
		if h.claim < current {
			delete(held, wf)
		}
	}
}

// deferRow hands a row back to the log until a time. If that write fails too (the
// database is down), the claim goes stale and the row is claimed again later.
func (d *Dispatcher) deferRow(ctx context.Context, row store.Waiting, until time.Time) {
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if err := d.store.Defer(wctx, []int64{row.ID}, until); err != nil && ctx.Err() == nil {
		d.opts.Logger.Warn("dispatcher: defer hand-over", "postback_id", row.ID, "error", err)
	}
}

func (d *Dispatcher) handOver(ctx context.Context, row store.Waiting) error {
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, handOverTimeout)
	defer cancel()
	// The hand-over joins the trace of the request that accepted the postback.
	ctx, span := otel.Tracer("convrelay").Start(tracing.Extract(ctx, row.TraceParent), "hand over postback")
	defer span.End()
	sig := workflows.PostbackSignal{PostbackID: row.ID, AccountID: row.AccountID, Integration: row.Integration, ReceivedAt: row.ReceivedAt}
	start := workflows.Start{
		AccountID: row.AccountID, TxKey: workflows.TxKeyFromWorkflowID(row.AccountID, row.WorkflowID),
		Integration: row.Integration, Status: row.Status, TransactionID: row.TransactionID,
		EventName: row.EventName, ClickID: row.ClickID, Currency: row.Currency,
		SettleWindow: d.opts.SettleWindow, DeliveryWindow: d.opts.DeliveryWindow,
	}
	// The memo a new transaction will most likely have once this postback is applied.
	switch {
	case row.Status == string(postback.StatusPending):
		start.Value = "0.01"
	case row.Value != "" && row.Status == string(postback.StatusApproved):
		start.Value = row.Value
	}
	if start.Currency == "" {
		start.Currency = d.accountCurrency(ctx, row.AccountID)
	}
	looked := time.Now()
	opts, in := workflows.StartOptions(d.opts.TaskQueue, start)
	_, err := d.client.SignalWithStartWorkflow(ctx, row.WorkflowID, workflows.PostbackSignalName, sig, opts,
		workflows.ConversionWorkflowName, in)
	if took := time.Since(began); took > slowAfter {
		d.opts.Logger.Warn("dispatcher: slow hand-over", "postback_id", row.ID, "took", took,
			"account_lookup", looked.Sub(began), "signal", time.Since(looked))
	}
	if err != nil {
		return fmt.Errorf("signal-with-start %s: %w", row.WorkflowID, err)
	}
	return nil
}

// accountCurrency is the account's default currency (what a postback without one
// is recorded in), through the process's one account reader; "" when it cannot
// be read in time (the run's memo then shows none; the workflow records the
// conversion in the account's currency whatever the memo says).
func (d *Dispatcher) accountCurrency(ctx context.Context, accountID string) string {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	a, err := d.opts.Accounts.Account(ctx, accountID)
	if err != nil {
		return ""
	}
	return a.Currency
}

// runMarker records hand-overs in batches: one UPDATE per batch instead of per row.
// A row keeps its place in the window (queued) until it is marked: from then on
// the log counts it in flight. Released earlier, a sweep between the hand-over
// and the mark would count it nowhere and claim past the window.
func (d *Dispatcher) runMarker(done <-chan store.Waiting) {
	var batch []int64
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.store.MarkDispatched(ctx, batch); err != nil {
			// The claims go stale and the rows are sent again later; the workflow drops repeats.
			d.opts.Logger.Error("dispatcher: mark dispatched", "count", len(batch), "error", err)
		}
		d.queued.Add(-int64(len(batch)))
		batch = batch[:0]
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case row, ok := <-done:
			if !ok {
				flush()
				return
			}
			batch = append(batch, row.ID)
			if len(batch) >= 500 {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// runReconciler hands over again, every minute, postbacks handed over more than
// ReconcileAfter ago and still not applied, and deliveries the API wrote that no
// workflow started.
func (d *Dispatcher) runReconciler(ctx context.Context) {
	interval := min(time.Minute, d.opts.ReconcileAfter/2)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		d.reconcileDeliveries(ctx)
		n, err := d.store.Reconcile(ctx, d.opts.ReconcileAfter)
		if err != nil {
			if ctx.Err() == nil {
				d.opts.Logger.Warn("reconciler: sweep failed", "error", err)
			}
			continue
		}
		if n > 0 {
			d.opts.Logger.Warn("reconciler: handing over again postbacks not applied", "count", n, "after", d.opts.ReconcileAfter)
			d.Poke()
		}
	}
}
