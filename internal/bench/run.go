package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/devstack"
	"github.com/convrelay/convrelay/internal/devtemporal"
)

// Options size one bench run.
type Options struct {
	IntakeRequests int
	CeilingFlows   int // for ceiling, ceiling0 and the PostgreSQL-persisted ceiling
	EndToEnd       int
	Steady         time.Duration // the steady-rate phase's sending window; 0 skips it
	Conns          int
	// Open, when > 0, runs the open-population phase last: this many
	// transactions opened (workflows waiting on their settle timer), then the
	// end-to-end mix again on top of them.
	Open int
	// Eager adds item 5's start experiment: StartedWorkflow started with
	// ExecuteWorkflow, plainly and eagerly, beside ceiling0's SignalWithStart.
	Eager      bool
	DataDir    string // a fresh stack lives here
	CPUProfile string // when set, a CPU profile of this process during the end-to-end phase
	Logger     *slog.Logger
}

// Run starts the embedded stack and measures every phase in turn.
func Run(ctx context.Context, o Options) (*Results, error) {
	host, _ := os.Hostname()
	res := &Results{Machine: host, Started: time.Now().UTC(), Ratios: map[string]float64{}}
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	cfg.DataDir, cfg.HTTPAddr = o.DataDir, "127.0.0.1:0"
	cfg.DatabaseURL, cfg.TemporalAddress = "", ""
	cfg.LogLevel = "warn"
	// Every bench request comes from 127.0.0.1 to one account, faster than the
	// intake's abuse bounds allow (their defaults stop a flood from one address);
	// bounds no phase reaches keep the limiter in the measured path without
	// refusing the load being measured.
	cfg.RateLimitIPRPS, cfg.RateLimitIPBurst = 1e9, 1_000_000_000
	cfg.RateLimitAccountRPS, cfg.RateLimitAccountBurst = 1e9, 1_000_000_000
	stack, err := devstack.Start(ctx, cfg, devstack.Options{PGPort: -1, GRPCPort: -1, UIPort: -2}, o.Logger)
	if err != nil {
		return nil, err
	}
	defer stack.Stop()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	announced := make(chan devstack.Info, 1)
	runErr := make(chan error, 1)
	go func() { runErr <- stack.Run(runCtx, func(i devstack.Info) { announced <- i }) }()
	var info devstack.Info
	select {
	case info = <-announced:
	case err := <-runErr:
		return nil, fmt.Errorf("stack stopped: %w", err)
	}

	// raw and intake: the same row into the same PostgreSQL server.
	ist, err := intakeDatabase(ctx, info.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer ist.Close()
	rawBase, stopRaw, err := rawServer(ist)
	if err != nil {
		return nil, err
	}
	client := NewClient(o.Conns)
	fmt.Fprintf(os.Stderr, "bench: raw, %d requests...\n", o.IntakeRequests)
	res.Raw = Burst(ctx, client, o.Conns, o.IntakeRequests, unattributedPostbacks(rawBase+"/raw", "R"), answeredOK)
	stopRaw()
	intakeURL, stopIntake, err := intakeServer(ctx, ist, cfg)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench: intake, %d postbacks...\n", o.IntakeRequests)
	res.Intake = Burst(ctx, client, o.Conns, o.IntakeRequests, unattributedPostbacks(intakeURL, "I"), answeredOK)
	stopIntake()
	res.Ratios["intake_vs_raw"] = res.Intake.PerSecond / res.Raw.PerSecond

	fmt.Fprintf(os.Stderr, "bench: ceiling, %d trivial workflows...\n", o.CeilingFlows)
	res.Ceiling, err = Ceiling(ctx, stack.Temporal, TrivialWorkflow, o.CeilingFlows, o.Conns, cfg.WorkerConcurrency)
	if err != nil {
		return nil, fmt.Errorf("ceiling: %w", err)
	}
	fmt.Fprintf(os.Stderr, "bench: ceiling0, %d workflows without activities...\n", o.CeilingFlows)
	res.Ceiling0, err = Ceiling(ctx, stack.Temporal, EmptyWorkflow, o.CeilingFlows, o.Conns, cfg.WorkerConcurrency)
	if err != nil {
		return nil, fmt.Errorf("ceiling0: %w", err)
	}
	if o.Eager {
		fmt.Fprintf(os.Stderr, "bench: start experiment, %d rounds of SignalWithStart, ExecuteWorkflow and eager ExecuteWorkflow, %d workflows each...\n",
			eagerRounds, o.CeilingFlows/eagerRounds)
		if err := startExperiment(ctx, stack.Temporal, res, o.CeilingFlows/eagerRounds, o.Conns, cfg.WorkerConcurrency); err != nil {
			return nil, fmt.Errorf("start experiment: %w", err)
		}
	}
	fmt.Fprintf(os.Stderr, "bench: ceiling on PostgreSQL persistence for comparison, %d trivial workflows...\n", o.CeilingFlows)
	res.CeilingPostgres, err = postgresCeiling(ctx, o, info.DatabaseURL, cfg.WorkerConcurrency)
	if err != nil {
		return nil, fmt.Errorf("ceiling on PostgreSQL: %w", err)
	}
	fmt.Fprintf(os.Stderr, "bench: end to end, %d conversions...\n", o.EndToEnd)
	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		return nil, err
	}
	// The stack's cluster lives in <data dir>/pg (devstack), its postmaster.pid there.
	meter := CPUMeter{PGDataDir: filepath.Join(o.DataDir, "pg")}
	// The cost rows: sizes before and after the end-to-end phase, and the
	// actions of its workflows. The stack keeps Temporal in <data dir>/temporal.
	temporalDir := filepath.Join(o.DataDir, "temporal")
	e2eStart, err := lastPostbackID(ctx, stack.Store)
	if err != nil {
		return nil, err
	}
	sizesBefore, err := snapshotStorage(ctx, stack.Store, temporalDir)
	if err != nil {
		return nil, err
	}
	res.EndToEnd, err = EndToEnd(ctx, stack.Store, info.APIBase, info.AccountID, o.EndToEnd, o.Conns, meter)
	stopProfile()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench: actions, the end-to-end phase's %d histories...\n", res.EndToEnd.Conversions)
	if res.Cost.Actions, res.Cost.MixPerConversion, err = endToEndActions(ctx, stack.Temporal, stack.Store, e2eStart); err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	// Sizes after the histories are read (which writes nothing), so the server's
	// queued visibility writes of the phase have had that time to land.
	sizesAfter, err := snapshotStorage(ctx, stack.Store, temporalDir)
	if err != nil {
		return nil, err
	}
	storageCost(&res.Cost, sizesBefore, sizesAfter, res.EndToEnd.Conversions)
	fmt.Fprintf(os.Stderr, "bench: actions, %d conversions whose first delivery attempt fails...\n", retriedConversions)
	retried, err := retriedActions(ctx, stack.Store, stack.Temporal, info.APIBase, info.AccountID, o.Conns)
	if err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	res.Cost.Actions = append(res.Cost.Actions, retried)
	res.Ratios["end_to_end_vs_ceiling"] = res.EndToEnd.PerSecond / res.Ceiling.PerSecond
	res.Ratios["end_to_end_vs_ceiling0"] = res.EndToEnd.PerSecond / res.Ceiling0.PerSecond
	if o.Steady > 0 {
		// Half the burst rate: a load the pipeline should carry with room to
		// spare, so its latency is the pipeline's, not a queue's.
		rate := res.EndToEnd.PerSecond / 2
		fmt.Fprintf(os.Stderr, "bench: steady, %.1f conversions/s for %s...\n", rate, o.Steady)
		res.Steady, err = Steady(ctx, stack.Store, info.APIBase, info.AccountID, rate, o.Steady, o.Conns, meter)
		if err != nil {
			return nil, err
		}
	}
	if o.Open > 0 {
		fmt.Fprintf(os.Stderr, "bench: open population, %d transactions through the intake...\n", o.Open)
		res.Open, err = openPopulation(ctx, stackHandles{store: stack.Store, temporal: stack.Temporal, registry: stack.App.Metrics.Registry,
			apiBase: info.APIBase, accountID: info.AccountID, temporalDir: temporalDir, cacheSize: cfg.WorkflowCacheSize, meter: meter},
			o.Open, o.EndToEnd, o.Conns, res.EndToEnd.PerSecond)
		if err != nil {
			return nil, err
		}
		res.Ratios["open_end_to_end_vs_empty"] = res.Open.VsEmpty
	}
	res.Targets = Verdicts(res)
	cancel()
	<-runErr
	return res, nil
}

// postgresCeiling measures the same trivial workflow on an embedded Temporal
// server persisting in the stack's PostgreSQL with 16 history shards, the
// alternative to the stack's SQLite (WAL) store.
func postgresCeiling(ctx context.Context, o Options, stackDB string, maxConcurrent int) (CeilingResult, error) {
	srv, err := devtemporal.Start(ctx, devtemporal.Options{PostgresURL: strings.Replace(stackDB, "/convrelay?", "/postgres?", 1),
		HistoryShards: 16, UIPort: -1, Logger: o.Logger})
	if err != nil {
		return CeilingResult{}, fmt.Errorf("start PostgreSQL-persisted Temporal: %w", err)
	}
	defer srv.Stop()
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.FrontendAddress(), Logger: tlog.NewStructuredLogger(o.Logger)})
	if err != nil {
		return CeilingResult{}, fmt.Errorf("dial PostgreSQL-persisted Temporal: %w", err)
	}
	defer c.Close()
	return Ceiling(ctx, c, TrivialWorkflow, o.CeilingFlows, o.Conns, maxConcurrent)
}

// startCPUProfile profiles this process (API, worker and the embedded Temporal
// server all run in it) until the returned function is called.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start CPU profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// eagerRounds: the start experiment alternates its three ways of starting in
// rounds, so that a machine whose load drifts (a shared one) does not favour
// whichever runs first.
const eagerRounds = 3

// startExperiment is item 5's: the empty workflow's floor started by
// SignalWithStart (ceiling0's way, the dispatcher's), by ExecuteWorkflow, and
// by ExecuteWorkflow with eager start, n workflows each per round.
func startExperiment(ctx context.Context, c client.Client, res *Results, n, conns, maxConcurrent int) error {
	if n < 1 {
		return fmt.Errorf("-ceiling %d is too few for %d rounds", n*eagerRounds, eagerRounds)
	}
	add := func(into *CeilingResult, r CeilingResult) {
		into.Workflows += r.Workflows
		into.Duration += r.Duration
		into.PerSecond = float64(into.Workflows) / into.Duration.Seconds()
	}
	for round := 0; round < eagerRounds; round++ {
		for _, m := range []struct {
			into  *CeilingResult
			wf    func(workflow.Context, int) error
			start startMode
		}{{&res.StartSWS, EmptyWorkflow, signalWithStart}, {&res.StartPlain, StartedWorkflow, plainStart}, {&res.StartEager, StartedWorkflow, eagerStart}} {
			r, err := ceiling(ctx, c, m.wf, n, conns, maxConcurrent, m.start)
			if err != nil {
				return err
			}
			add(m.into, r)
		}
	}
	res.Ratios["start_eager_vs_signal_with_start"] = res.StartEager.PerSecond / res.StartSWS.PerSecond
	res.Ratios["start_eager_vs_plain"] = res.StartEager.PerSecond / res.StartPlain.PerSecond
	return nil
}
