// Package dispatch hands accepted postbacks from the postback log to their
// transaction's workflow with SignalWithStart. The intake only writes the log row
// and pokes the dispatcher, so it never waits on Temporal; while Temporal is down
// rows wait in the log and are handed over, in order per transaction, once it is
// back. A row handed over twice (a crash between signal and bookkeeping) has no
// second effect: the workflow and the store both drop a postback they have seen.
package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/workflows"
)

// Options configure a Dispatcher.
type Options struct {
	TaskQueue      string
	SettleWindow   time.Duration
	DeliveryWindow time.Duration
	Shards         int           // parallel hand-over lanes; one transaction always uses the same lane
	StaleAfter     time.Duration // another process's claim older than this is taken over
	PollInterval   time.Duration // how often the log is swept without a poke
	Logger         *slog.Logger
	// OnDispatched, when set, is called with the age of each postback handed over.
	OnDispatched func(age time.Duration)
}

// Dispatcher moves accepted postbacks from the log to Temporal.
type Dispatcher struct {
	store  *store.Store
	client client.Client
	opts   Options
	poke   chan struct{}

	currencies sync.Map // account id -> cachedCurrency
}

type cachedCurrency struct {
	code string
	at   time.Time
}

// accountCurrency is the account's default currency (what a postback without one
// is recorded in), cached for a minute; "" when it cannot be read.
func (d *Dispatcher) accountCurrency(ctx context.Context, accountID string) string {
	if v, ok := d.currencies.Load(accountID); ok {
		if c := v.(cachedCurrency); time.Since(c.at) < time.Minute {
			return c.code
		}
	}
	a, err := d.store.GetAccount(ctx, accountID)
	if err != nil {
		return ""
	}
	d.currencies.Store(accountID, cachedCurrency{a.Currency, time.Now()})
	return a.Currency
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

const claimBatch = 500

// Run sweeps the log until ctx ends, then releases its unsent claims so the next
// process takes them over at once.
func (d *Dispatcher) Run(ctx context.Context) error {
	lanes := make([]chan store.Undispatched, d.opts.Shards)
	done := make(chan int64, 1024)
	var wg sync.WaitGroup
	for i := range lanes {
		lanes[i] = make(chan store.Undispatched, claimBatch)
		wg.Add(1)
		go func(lane chan store.Undispatched) {
			defer wg.Done()
			d.runLane(ctx, lane, done)
		}(lanes[i])
	}
	markerDone := make(chan struct{})
	go func() { d.runMarker(done); close(markerDone) }()

	ticker := time.NewTicker(d.opts.PollInterval)
	defer ticker.Stop()
	for ctx.Err() == nil {
		for {
			rows, err := d.store.ClaimUndispatched(ctx, d.opts.StaleAfter, claimBatch)
			if err != nil {
				if ctx.Err() == nil {
					d.opts.Logger.Error("dispatcher: claim failed", "error", err)
				}
				break
			}
			for _, r := range rows {
				select {
				case lanes[laneOf(r.WorkflowID, len(lanes))] <- r:
				case <-ctx.Done():
				}
			}
			if len(rows) < claimBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
		case <-d.poke:
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

func laneOf(workflowID string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(workflowID))
	return int(h.Sum32() % uint32(n))
}

// runLane hands rows over one at a time, retrying each until it succeeds, so that a
// transaction's postbacks reach its workflow in the order they were accepted.
func (d *Dispatcher) runLane(ctx context.Context, lane <-chan store.Undispatched, done chan<- int64) {
	for {
		var row store.Undispatched
		select {
		case <-ctx.Done():
			return
		case row = <-lane:
		}
		backoff := 200 * time.Millisecond
		for {
			err := d.handOver(ctx, row)
			if err == nil {
				done <- row.ID
				if d.opts.OnDispatched != nil {
					d.opts.OnDispatched(time.Since(row.ReceivedAt))
				}
				break
			}
			if ctx.Err() != nil {
				return
			}
			var invalid *serviceerror.InvalidArgument
			if errors.As(err, &invalid) {
				// Retrying cannot help; leave the row undispatched and visible.
				d.opts.Logger.Error("dispatcher: Temporal refused postback", "postback_id", row.ID, "workflow_id", row.WorkflowID, "error", err)
				break
			}
			d.opts.Logger.Warn("dispatcher: hand-over failed, retrying", "postback_id", row.ID, "workflow_id", row.WorkflowID,
				"retry_in", backoff, "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
		}
	}
}

func (d *Dispatcher) handOver(ctx context.Context, row store.Undispatched) error {
	var p postback.Postback
	if err := json.Unmarshal(row.Canonical, &p); err != nil {
		return fmt.Errorf("decode postback %d: %w", row.ID, err)
	}
	sig := workflows.PostbackSignal{PostbackID: row.ID, AccountID: row.AccountID, Integration: row.Integration,
		ReceivedAt: row.ReceivedAt, Postback: p}
	txKey := workflows.TxKeyFromWorkflowID(row.AccountID, row.WorkflowID)
	// The attributes and memo a new transaction will most likely have once this
	// postback is applied are set at start, so the workflow's first task usually has
	// nothing to upsert (each upsert is a history event and a visibility write).
	attrs := []temporal.SearchAttributeUpdate{
		workflows.AccountIDKey.ValueSet(row.AccountID),
		workflows.IntegrationKey.ValueSet(row.Integration),
		workflows.ConversionStatusKey.ValueSet(string(p.Status)),
	}
	if p.TransactionID != "" {
		attrs = append(attrs, workflows.TransactionIDKey.ValueSet(p.TransactionID))
	}
	if p.EventName != "" {
		attrs = append(attrs, workflows.EventNameKey.ValueSet(p.EventName))
	}
	if p.ClickID != "" {
		attrs = append(attrs, workflows.ClickIDKey.ValueSet(p.ClickID))
	}
	memo := map[string]any{"account": row.AccountID}
	switch {
	case p.Status == postback.StatusPending:
		memo["value"] = "0.01"
	case p.Value != nil && p.Status == postback.StatusApproved:
		memo["value"] = p.Value.String()
	}
	if p.Currency != "" {
		memo["currency"] = p.Currency
	} else if cur := d.accountCurrency(ctx, row.AccountID); cur != "" {
		memo["currency"] = cur
	}
	opts := client.StartWorkflowOptions{
		ID:                       row.WorkflowID,
		TaskQueue:                d.opts.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(attrs...),
		Memo:                     memo,
		StaticSummary:            "transaction " + txKey + " of account " + row.AccountID,
	}
	in := workflows.Input{AccountID: row.AccountID, TxKey: txKey, SettleWindow: d.opts.SettleWindow, DeliveryWindow: d.opts.DeliveryWindow}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := d.client.SignalWithStartWorkflow(sctx, row.WorkflowID, workflows.PostbackSignalName, sig, opts,
		workflows.ConversionWorkflowName, in); err != nil {
		return fmt.Errorf("signal-with-start %s: %w", row.WorkflowID, err)
	}
	return nil
}

// runMarker records hand-overs in batches: one UPDATE per batch instead of per row.
func (d *Dispatcher) runMarker(done <-chan int64) {
	var batch []int64
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.store.MarkDispatched(ctx, batch); err != nil {
			// The rows stay claimed and are sent again later; the workflow drops repeats.
			d.opts.Logger.Error("dispatcher: mark dispatched", "count", len(batch), "error", err)
		}
		batch = batch[:0]
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case id, ok := <-done:
			if !ok {
				flush()
				return
			}
			batch = append(batch, id)
			if len(batch) >= 500 {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}
