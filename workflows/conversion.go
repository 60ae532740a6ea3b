package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
)

// act is only used for its method values: the worker registers the real struct.
var act *activities.Activities

// Bounds on what a run carries: history shown by the query, and postback ids
// remembered to drop a re-sent signal (the database also refuses a second effect).
const (
	maxHistory = 100
	maxSeen    = 500
)

type conversion struct {
	in          Input
	deadline    time.Time
	state       conv.State
	stateLoaded bool
	history     []conv.Transition
	seen        map[int64]bool
	seenOrder   []int64
	inFlight    int
	handled     int // postbacks handled in this run
	failed      int
	attrs       map[string]string // search attribute values last upserted
	memoKey     string            // value and currency last put in the memo
	baseline    bool              // this run recorded baselineChange
	delivering  map[int64]bool    // deliveries this run is sending now
}

// ConversionWorkflow is the durable life of one transaction: it applies each
// postback's status change, records it, runs the deliveries it causes, and stays
// open for later changes until the settle window ends.
func ConversionWorkflow(ctx workflow.Context, in Input) error {
	w := &conversion{in: in, seen: map[int64]bool{}, attrs: map[string]string{}, delivering: map[int64]bool{}}
	w.baseline = workflow.GetVersion(ctx, baselineChange, workflow.DefaultVersion, 1) == 1
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run(ctx)
}

func (w *conversion) setup(ctx workflow.Context) error {
	if w.in.SettleWindow <= 0 {
		w.in.SettleWindow = DefaultSettleWindow
	}
	if w.in.DeliveryWindow <= 0 {
		w.in.DeliveryWindow = DefaultDeliveryWindow
	}
	w.deadline = w.in.Deadline
	if w.deadline.IsZero() {
		w.deadline = workflow.Now(ctx).Add(w.in.SettleWindow)
	}
	if w.in.State != nil {
		w.state, w.stateLoaded = *w.in.State, true
	}
	w.history = append(w.history, w.in.History...)
	// Version 1 starts from the attributes and memo the transaction was started
	// with, so publish upserts only what differs from them.
	if w.version(ctx, "attrs-from-start", 1) == 1 {
		w.seedPublished(ctx)
	}
	for _, id := range w.in.Seen {
		w.remember(id)
	}
	return workflow.SetQueryHandler(ctx, StateQueryName, func() (StateView, error) {
		return StateView{AccountID: w.in.AccountID, TxKey: w.in.TxKey, State: w.state, History: w.history,
			Deadline: w.deadline, DeliveriesInFlight: w.inFlight, DeliveriesFailed: w.failed}, nil
	})
}

func (w *conversion) run(ctx workflow.Context) error {
	postbacks := workflow.GetSignalChannel(ctx, PostbackSignalName)
	redeliveries := workflow.GetSignalChannel(ctx, RedeliverSignalName)
	for _, s := range w.in.Pending {
		w.handlePostback(ctx, s)
	}
	for _, r := range w.in.Redrive {
		w.startDelivery(ctx, r.Delivery)
	}

	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	settled := false
	timer := workflow.NewTimer(timerCtx, w.deadline.Sub(workflow.Now(ctx)))
	for {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(postbacks, func(c workflow.ReceiveChannel, _ bool) {
			var s PostbackSignal
			c.Receive(ctx, &s)
			w.handlePostback(ctx, s)
		})
		sel.AddReceive(redeliveries, func(c workflow.ReceiveChannel, _ bool) {
			var r RedeliverSignal
			c.Receive(ctx, &r)
			w.startDelivery(ctx, r.Delivery)
		})
		sel.AddFuture(timer, func(workflow.Future) { settled = true })
		sel.Select(ctx)

		if settled {
			return w.finish(ctx, postbacks, redeliveries)
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() || (w.in.MaxPostbacksPerRun > 0 && w.handled >= w.in.MaxPostbacksPerRun) {
			cancelTimer()
			return w.continueAsNew(ctx, postbacks, redeliveries)
		}
	}
}

// finish ends the run once the settle window is over: it waits for deliveries in
// flight and handles every signal that is still buffered, so none is lost.
func (w *conversion) finish(ctx workflow.Context, postbacks, redeliveries workflow.ReceiveChannel) error {
	for {
		handled := w.drain(ctx, postbacks, redeliveries)
		if err := workflow.Await(ctx, func() bool { return w.inFlight == 0 }); err != nil {
			return fmt.Errorf("await deliveries: %w", err)
		}
		if !handled && postbacks.Len() == 0 && redeliveries.Len() == 0 {
			return nil
		}
	}
}

// continueAsNew carries the state, the settle deadline and every buffered signal
// into a fresh run, after the deliveries in flight are done.
func (w *conversion) continueAsNew(ctx workflow.Context, postbacks, redeliveries workflow.ReceiveChannel) error {
	if err := workflow.Await(ctx, func() bool { return w.inFlight == 0 }); err != nil {
		return fmt.Errorf("await deliveries: %w", err)
	}
	next := w.in
	next.Deadline = w.deadline
	st := w.state
	if w.stateLoaded {
		next.State = &st
	}
	next.History = w.history
	next.Seen = w.seenOrder
	next.Pending, next.Redrive = nil, nil
	for {
		var s PostbackSignal
		if !postbacks.ReceiveAsync(&s) {
			break
		}
		next.Pending = append(next.Pending, s)
	}
	for {
		var r RedeliverSignal
		if !redeliveries.ReceiveAsync(&r) {
			break
		}
		next.Redrive = append(next.Redrive, r)
	}
	return workflow.NewContinueAsNewError(ctx, ConversionWorkflowName, next)
}

// drain handles every buffered signal without blocking; it reports whether it
// handled any.
func (w *conversion) drain(ctx workflow.Context, postbacks, redeliveries workflow.ReceiveChannel) bool {
	handled := false
	for {
		var s PostbackSignal
		if !postbacks.ReceiveAsync(&s) {
			break
		}
		w.handlePostback(ctx, s)
		handled = true
	}
	for {
		var r RedeliverSignal
		if !redeliveries.ReceiveAsync(&r) {
			break
		}
		w.startDelivery(ctx, r.Delivery)
		handled = true
	}
	return handled
}

func (w *conversion) remember(id int64) {
	if w.seen[id] {
		return
	}
	w.seen[id] = true
	w.seenOrder = append(w.seenOrder, id)
	if len(w.seenOrder) > maxSeen {
		delete(w.seen, w.seenOrder[0])
		w.seenOrder = w.seenOrder[1:]
	}
}

// localOptions: a database step as run before dbStep, kept for histories recorded
// before "db-steps-until-applied".
func localOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		Summary:             summary,
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    500 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

func (w *conversion) handlePostback(ctx workflow.Context, s PostbackSignal) {
	if w.seen[s.PostbackID] {
		return
	}
	logger := workflow.GetLogger(ctx)
	// Remembered as seen only once applied (or failed for good): a postback whose
	// step is still retrying is handled again if it is handed over again.
	byRef := s.Postback == nil

	var prep activities.PrepareResult
	err := w.dbStep(ctx, attributeSummary(s), &prep, act.Prepare, activities.PrepareInput{
		AccountID: w.in.AccountID, TxKey: w.in.TxKey, LoadState: !w.stateLoaded, PostbackID: s.PostbackID,
		Postback: s.Postback, ReceivedAt: s.ReceivedAt, Integration: s.Integration,
	})
	if err != nil {
		w.giveUp(ctx, s.PostbackID, "prepare", err)
		return
	}
	facts := prep.Facts
	if !byRef {
		f := activities.FactsOf(s.Postback)
		facts = &f
	}
	if facts == nil {
		logger.Error("prepare returned no facts", "postback_id", s.PostbackID)
		return
	}
	if !w.stateLoaded && prep.State != nil {
		w.state, w.stateLoaded = *prep.State, true
	}
	prev := w.state
	in := Incoming{
		Status:        facts.Status,
		Value:         facts.Value,
		DefaultPayout: prep.Attribution.DefaultPayout,
		Mode:          w.duplicateMode(ctx, prev, prep.DuplicateMode),
		Currency:      facts.Currency,
	}
	if facts.EventSource != postback.EventSourceAutomatic {
		in.EventName = facts.EventName
	}
	decision := Decide(prev, in)
	var res conv.RecordResult
	recordSummary := fmt.Sprintf("record postback %d: %s -> %s %s", s.PostbackID, orNone(decision.From), decision.To, decision.Value)
	if !decision.Apply {
		recordSummary = fmt.Sprintf("record postback %d as duplicate", s.PostbackID)
	}
	rec := activities.RecordInput{
		PostbackID: s.PostbackID, AccountID: w.in.AccountID, TxKey: w.in.TxKey, Integration: s.Integration,
		ReceivedAt: s.ReceivedAt, Attribution: prep.Attribution, Decision: decision, Prev: prev,
	}
	if byRef {
		rec.Facts = facts
	} else {
		rec.Postback = s.Postback
	}
	if err := w.dbStep(ctx, recordSummary, &res, act.Record, rec); err != nil {
		w.giveUp(ctx, s.PostbackID, "record", err)
		return
	}
	w.remember(s.PostbackID)
	w.handled++
	w.state = res.State
	w.history = append(w.history, conv.Transition{PostbackID: s.PostbackID, At: workflow.Now(ctx), From: decision.From,
		To: res.State.Status, Value: res.State.Value, Outcome: res.Outcome, Note: decision.Note})
	if len(w.history) > maxHistory {
		w.history = w.history[len(w.history)-maxHistory:]
	}
	logger.Info("postback applied", "postback_id", s.PostbackID, "outcome", res.Outcome, "from", decision.From,
		"to", res.State.Status, "value", res.State.Value.String(), "deliveries", len(res.Deliveries))
	w.publish(ctx)
	for _, d := range res.Deliveries {
		w.startDelivery(ctx, d)
	}
}

// dbStep runs a database step as a local activity until it succeeds or fails for
// a cause no retry can fix (activities.ErrTypePermanent): an outage of any length
// only delays the postback. Each round retries inside the local activity for up to
// two minutes, then waits on a durable timer (backoff up to a minute), so a long
// outage costs a few history events a minute, not a stuck workflow task.
func (w *conversion) dbStep(ctx workflow.Context, summary string, out any, fn any, args ...any) error {
	if w.version(ctx, "db-steps-until-applied", 1) == workflow.DefaultVersion {
		return workflow.ExecuteLocalActivity(localOptions(ctx, summary), fn, args...).Get(ctx, out)
	}
	backoff := time.Second
	for {
		err := workflow.ExecuteLocalActivity(dbStepOptions(ctx, summary), fn, args...).Get(ctx, out)
		if err == nil {
			return nil
		}
		if _, isPermanent := activities.FailureClass(err); isPermanent {
			return err
		}
		workflow.GetLogger(ctx).Warn("database step failed; retrying", "step", summary, "retry_in", backoff, "error", err)
		if err := workflow.Sleep(ctx, backoff); err != nil {
			return fmt.Errorf("wait to retry %s: %w", summary, err)
		}
		backoff = min(backoff*2, time.Minute)
	}
}

// giveUp records a postback that can never be applied as failed, with its reason;
// in histories recorded before dbStep retried, the old behaviour (log only) holds.
func (w *conversion) giveUp(ctx workflow.Context, postbackID int64, step string, err error) {
	logger := workflow.GetLogger(ctx)
	class, isPermanent := activities.FailureClass(err)
	if !isPermanent || w.version(ctx, "db-steps-until-applied", 1) == workflow.DefaultVersion {
		logger.Error(step+" postback failed", "postback_id", postbackID, "error", err)
		return
	}
	w.remember(postbackID)
	reason := step + ": " + err.Error()
	logger.Error("postback failed for good", "postback_id", postbackID, "class", class, "reason", reason)
	in := activities.MarkPostbackFailedInput{PostbackID: postbackID, Class: class, Reason: reason}
	if err := w.dbStep(ctx, fmt.Sprintf("mark postback %d failed", postbackID), nil, act.MarkPostbackFailed, in); err != nil {
		logger.Error("mark postback failed", "postback_id", postbackID, "error", err)
	}
}

// dbStepOptions: one round of a database step (see dbStep).
func dbStepOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		Summary:                summary,
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        500 * time.Millisecond,
			BackoffCoefficient:     2,
			MaximumInterval:        10 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrTypePermanent},
		},
	})
}

// publish keeps the search attributes and memo operators read in the UI current,
// upserting only what changed.
func (w *conversion) publish(ctx workflow.Context) {
	// A fixed order keeps the upsert command identical on replay.
	want := []struct {
		key   temporal.SearchAttributeKeyKeyword
		value string
	}{
		{ConversionStatusKey, string(w.state.Status)},
		{ClickIDKey, w.state.ClickID},
		{EventNameKey, w.state.EventName},
	}
	var updates []temporal.SearchAttributeUpdate
	for _, a := range want {
		name := a.key.GetName()
		if a.value == "" || w.attrs[name] == a.value {
			continue
		}
		w.attrs[name] = a.value
		updates = append(updates, a.key.ValueSet(a.value))
	}
	if len(updates) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
			workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
		}
	}
	memo := map[string]interface{}{"account": w.in.AccountID, "value": w.state.Value.String(), "currency": w.state.Currency}
	memoKey := w.state.Value.String() + " " + w.state.Currency
	// Version 1 upserts the memo only when value or currency changed (a duplicate
	// costs no history event); histories recorded before it upserted every time.
	onlyOnChange := w.version(ctx, "memo-only-on-change", 1) == 1
	if onlyOnChange && w.memoKey == memoKey {
		return
	}
	w.memoKey = memoKey
	if err := workflow.UpsertMemo(ctx, memo); err != nil {
		workflow.GetLogger(ctx).Warn("upsert memo failed", "error", err)
	}
}

// startDelivery runs one delivery in its own coroutine so the workflow keeps
// taking status changes while a platform is being retried.
func (w *conversion) startDelivery(ctx workflow.Context, d conv.DeliveryRef) {
	// A delivery can be handed over again while this run sends it (the hand-over
	// reconciler repeats a signal it cannot see arrive): one sender is enough. The
	// version is asked only here, so runs without a repeat record no marker.
	if w.delivering[d.ID] && w.version(ctx, "one-sender-per-delivery", 1) == 1 {
		workflow.GetLogger(ctx).Info("delivery already being sent", "delivery_id", d.ID)
		return
	}
	w.delivering[d.ID] = true
	w.inFlight++
	workflow.Go(ctx, func(gctx workflow.Context) {
		defer func() { w.inFlight--; delete(w.delivering, d.ID) }()
		res, err := w.deliver(gctx, d)
		if err == nil {
			// The platform has it but the database was down: record it here, retrying
			// until it is back (histories before this change never carry Unrecorded).
			if res.Unrecorded && w.version(gctx, "delivery-bookkeeping", 1) == 1 {
				if err := w.dbStep(gctx, fmt.Sprintf("record delivery %d", d.ID), nil, act.MarkDelivered, d.ID, res.Attempt, res.StatusCode); err != nil {
					workflow.GetLogger(gctx).Error("record delivery", "delivery_id", d.ID, "error", err)
				}
			}
			return
		}
		w.failed++
		reason := ""
		if retriedOut(err) {
			reason = "gave up: retry window of " + w.in.DeliveryWindow.String() + " exhausted"
		}
		workflow.GetLogger(gctx).Warn("delivery failed", "delivery_id", d.ID, "destination_type", d.DestinationType, "error", err)
		if err := w.dbStep(gctx, fmt.Sprintf("mark delivery %d failed", d.ID), nil, act.MarkDeliveryFailed, d.ID, reason); err != nil {
			workflow.GetLogger(gctx).Error("mark delivery failed", "delivery_id", d.ID, "error", err)
		}
	})
}

// deliver sends one delivery. From version 1 of "first-delivery-attempt-local" the
// first attempt runs as a local activity, inside the workflow task that recorded
// the conversion (no activity task, no further workflow task when the platform
// answers at once); only a platform that fails or is slow gets the retried
// activity, which carries on with the same delivery (same idempotency key).
func (w *conversion) deliver(ctx workflow.Context, d conv.DeliveryRef) (activities.DeliverResult, error) {
	in := activities.DeliverInput{DeliveryID: d.ID}
	var res activities.DeliverResult
	firstInterval := time.Second
	if w.version(ctx, "first-delivery-attempt-local", 1) == 1 {
		err := workflow.ExecuteLocalActivity(firstAttemptOptions(ctx, d.Summary), act.Deliver, in).Get(ctx, &res)
		if err == nil || !isRetryable(err) {
			return res, err
		}
		if err := workflow.Sleep(ctx, retryDelay(err)); err != nil {
			return res, fmt.Errorf("wait to retry delivery %d: %w", d.ID, err)
		}
		// The activity's retries back off from 2 s, so the schedule (1 s, 2 s,
		// 4 s, ...) is the one without a first local attempt.
		firstInterval = 2 * time.Second
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		HeartbeatTimeout:       10 * time.Second,
		ScheduleToCloseTimeout: w.in.DeliveryWindow,
		Summary:                d.Summary,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        firstInterval,
			BackoffCoefficient:     2,
			MaximumInterval:        10 * time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeNotRetryable},
		},
	})
	err := workflow.ExecuteActivity(actx, act.Deliver, in).Get(ctx, &res)
	return res, err
}

// firstAttemptTimeout bounds the first attempt inside the workflow task: a
// platform slower than this is retried by the activity, which waits longer.
const firstAttemptTimeout = 5 * time.Second

func firstAttemptOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		Summary:                "first attempt: " + summary,
		StartToCloseTimeout:    firstAttemptTimeout,
		ScheduleToCloseTimeout: firstAttemptTimeout,
		RetryPolicy:            &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}

// isRetryable: a first attempt that failed for a cause another attempt may fix.
func isRetryable(err error) bool {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && (appErr.NonRetryable() || appErr.Type() == activities.ErrTypeNotRetryable) {
		return false
	}
	return !temporal.IsCanceledError(err)
}

// retryDelay: the wait before the retried activity takes over, at least a second,
// longer when the platform asked for it (Retry-After).
func retryDelay(err error) time.Duration {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NextRetryDelay() > time.Second {
		return appErr.NextRetryDelay()
	}
	return time.Second
}

// retriedOut reports whether Temporal stopped retrying a delivery because its
// retry window ran out. The retry policy has no attempt limit, so a failure that
// is neither non-retryable nor a cancellation ends only that way: an attempt cut
// off by the window, or a retry that would start after it (the server reports
// that one as the last error with retry state TIMEOUT; the SDK's test
// environment does not set the state).
func retriedOut(err error) bool {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && (appErr.NonRetryable() || appErr.Type() == activities.ErrTypeNotRetryable) {
		return false
	}
	return !temporal.IsCanceledError(err)
}

// attributeSummary names what the attribution step looks up, for the UI.
func attributeSummary(s PostbackSignal) string {
	p := s.Postback
	if p == nil {
		return fmt.Sprintf("load and attribute postback %d", s.PostbackID)
	}
	switch {
	case p.ClickID != "":
		return "attribute click " + p.ClickID
	case p.VisitorID != "":
		return "attribute visitor " + p.VisitorID + " page " + p.PageID
	case p.RefID != "":
		return "attribute ref " + p.RefID
	default:
		return "attribute by email"
	}
}

func orNone(s conv.Status) string {
	if s == conv.StatusNone {
		return "none"
	}
	return string(s)
}

// seedPublished records the search attributes and memo set at start as already
// published.
func (w *conversion) seedPublished(ctx workflow.Context) {
	sa := workflow.GetTypedSearchAttributes(ctx)
	for _, k := range []temporal.SearchAttributeKeyKeyword{ConversionStatusKey, ClickIDKey, EventNameKey} {
		if v, ok := sa.GetKeyword(k); ok {
			w.attrs[k.GetName()] = v
		}
	}
	var value, currency string
	if memo := workflow.GetInfo(ctx).Memo; memo != nil {
		dc := converter.GetDefaultDataConverter()
		if p := memo.Fields["value"]; p != nil {
			_ = dc.FromPayload(p, &value)
		}
		if p := memo.Fields["currency"]; p != nil {
			_ = dc.FromPayload(p, &currency)
		}
	}
	w.memoKey = value + " " + currency
}
