package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const ceilingQueue = "bench-ceiling"

// TrivialWorkflow is the ceiling's yardstick: it takes the signal it was started
// with, then runs two no-op activities, one after the other.
func TrivialWorkflow(ctx workflow.Context, n int) error {
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, nil)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	for i := 0; i < 2; i++ {
		if err := workflow.ExecuteActivity(ctx, NoopActivity, n).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// EmptyWorkflow is ceiling0's yardstick: it takes the signal it was started with
// and returns, with no activity. SignalWithStart puts the signal in the first
// workflow task, so this is Temporal's floor for a signalled workflow: one start
// and one workflow task. A conversion can get close to it, never past it.
func EmptyWorkflow(ctx workflow.Context, n int) error {
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, nil)
	return nil
}

// StartedWorkflow is the start experiments' yardstick: started with its input
// (no signal), it returns at once. Started with ExecuteWorkflow, eagerly or not,
// against ceiling0's SignalWithStart, it measures what eager start (the first
// workflow task returned in the start's answer, skipping matching) would save
// a first postback if the dispatcher started workflows with the postback as
// input where the worker shares its process.
func StartedWorkflow(ctx workflow.Context, n int) error { return nil }

// startMode is how Ceiling starts its yardstick workflows.
type startMode int

const (
	signalWithStart startMode = iota // what the dispatcher does
	plainStart                       // ExecuteWorkflow
	eagerStart                       // ExecuteWorkflow with EnableEagerStart
)

// NoopActivity does nothing.
func NoopActivity(context.Context, int) error { return nil }

// CeilingResult is the trivial workflow's throughput on this Temporal server.
type CeilingResult struct {
	Workflows int           `json:"workflows"`
	Duration  time.Duration `json:"duration_ns"`
	PerSecond float64       `json:"per_second"`
}

// Ceiling starts n yardstick workflows (TrivialWorkflow or EmptyWorkflow) with
// SignalWithStart from conns senders and measures completed workflows per second,
// first start to last completion.
func Ceiling(ctx context.Context, c client.Client, yardstick func(workflow.Context, int) error, n, conns int, maxConcurrent int) (CeilingResult, error) {
	return ceiling(ctx, c, yardstick, n, conns, maxConcurrent, signalWithStart)
}

func ceiling(ctx context.Context, c client.Client, yardstick func(workflow.Context, int) error, n, conns int, maxConcurrent int, mode startMode) (CeilingResult, error) {
	w := worker.New(c, ceilingQueue, worker.Options{
		MaxConcurrentActivityExecutionSize: maxConcurrent, MaxConcurrentWorkflowTaskExecutionSize: maxConcurrent,
		MaxConcurrentActivityTaskPollers: 8, MaxConcurrentWorkflowTaskPollers: 8,
	})
	w.RegisterWorkflow(TrivialWorkflow)
	w.RegisterWorkflow(EmptyWorkflow)
	w.RegisterWorkflow(StartedWorkflow)
	w.RegisterActivity(NoopActivity)
	if err := w.Start(); err != nil {
		return CeilingResult{}, fmt.Errorf("start ceiling worker: %w", err)
	}
	defer w.Stop()
	runID := time.Now().UnixNano()
	runs := make([]client.WorkflowRun, n)
	var next, done atomic.Int64
	// Completions are only collected once every workflow is started, so the line
	// reports whichever half is under way.
	stopProgress := progressEvery(func(elapsed time.Duration) string {
		if started := next.Load(); started < int64(n) {
			return fmt.Sprintf("%d/%d workflows started", started, n)
		}
		return fmt.Sprintf("%d/%d workflows completed, %.1f/s", done.Load(), n, float64(done.Load())/elapsed.Seconds())
	})
	defer stopProgress()
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for s := 0; s < conns; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				id := fmt.Sprintf("bench-ceiling-%d-%d", runID, i)
				var run client.WorkflowRun
				var err error
				switch mode {
				case signalWithStart:
					run, err = c.SignalWithStartWorkflow(ctx, id, "go", nil,
						client.StartWorkflowOptions{ID: id, TaskQueue: ceilingQueue}, yardstick, i)
				default:
					run, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: ceilingQueue,
						EnableEagerStart: mode == eagerStart}, yardstick, i)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				runs[i] = run
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return CeilingResult{}, fmt.Errorf("start yardstick workflow: %w", firstErr)
	}
	var last atomic.Int64
	for s := 0; s < 64; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for i := s; i < n; i += 64 {
				if err := runs[i].Get(ctx, nil); err == nil {
					done.Add(1)
					now := time.Now().UnixNano()
					for {
						old := last.Load()
						if now <= old || last.CompareAndSwap(old, now) {
							break
						}
					}
				}
			}
		}(s)
	}
	wg.Wait()
	if int(done.Load()) != n {
		return CeilingResult{}, fmt.Errorf("only %d of %d yardstick workflows completed", done.Load(), n)
	}
	elapsed := time.Unix(0, last.Load()).Sub(start)
	return CeilingResult{Workflows: n, Duration: elapsed, PerSecond: float64(n) / elapsed.Seconds()}, nil
}
