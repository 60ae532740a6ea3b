package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/convrelay/convrelay/internal/pgserver"
	"github.com/convrelay/convrelay/internal/secrets"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/internal/subproc"
	"github.com/convrelay/convrelay/workflows"
)

// ScaleOptions size a scale-out run (`make bench-scale`).
type ScaleOptions struct {
	DataDir  string
	Self     string // this binary, re-executed with -serve-temporal as the Temporal server process
	Bin      string // the production binary; "" builds ./cmd/convrelay into DataDir
	EndToEnd int    // conversions of the mix per phase
	Intake   int    // postbacks of the intake burst per phase
	Conns    int
	APIs     int // `convrelay api` processes of the scaled phase
	Workers  int // `convrelay worker` processes of the scaled phase
	// Shards is the Temporal server's history shards (fixed for its store).
	Shards int
	// DispatchShards and DBConns are CONVRELAY_DISPATCH_SHARDS and
	// CONVRELAY_DB_MAX_CONNS of every product process (0: the product's default
	// for the first, 20 for the second).
	DispatchShards int
	DBConns        int
	// WorkflowCache is CONVRELAY_WORKFLOW_CACHE_SIZE of every product process
	// (0: the product's default, 2000).
	WorkflowCache int
	// Experiment, when set, adds a phase: the single process again with these
	// extra variables (space separated NAME=VALUE), for item 5's experiments.
	Experiment string
	// Open, when > 0, adds a last phase: the scaled layout again, which first
	// opens this many transactions (workflows waiting on their settle timer)
	// and then runs the end-to-end mix on top of them.
	Open   int
	Logger *slog.Logger
}

// ScalePhase is one arrangement of product processes measured on the same
// Temporal server process and PostgreSQL.
type ScalePhase struct {
	Name     string         `json:"name"`
	APIs     int            `json:"apis"`
	Workers  int            `json:"workers"`
	Env      []string       `json:"extra_env,omitempty"`
	EndToEnd EndToEndResult `json:"end_to_end"`
	// Intake is a burst of single approved postbacks (unattributed: no
	// delivery) over the API processes, the pipeline running behind them.
	Intake LoadResult `json:"intake"`
	// IntakeApplied is that burst's postbacks applied per second, first sent to
	// last applied.
	IntakeApplied float64 `json:"intake_applied_per_second"`
	// Procs is each product process's RSS at the phase's end and CPU over its
	// life; TemporalCPU the Temporal server process's CPU during the phase.
	Procs       []ProcUsage `json:"processes"`
	TemporalCPU float64     `json:"temporal_cpu_seconds"`
	// Opened is the population the phase opened before its mix (the open
	// phase), at OpenedPerSec through the intake.
	Opened       int     `json:"opened,omitempty"`
	OpenedPerSec float64 `json:"opened_per_second,omitempty"`
	// OpenedBytes is the Temporal databases' growth per opened transaction.
	OpenedBytes float64 `json:"temporal_postgres_bytes_per_opened,omitempty"`
}

// ScaleResults is one `make bench-scale` run.
type ScaleResults struct {
	Machine        string             `json:"machine"`
	CPUs           int                `json:"cpus"`
	Started        time.Time          `json:"started"`
	Options        ScaleOptionsOut    `json:"options"`
	Phases         []ScalePhase       `json:"phases"`
	TemporalBytes  int64              `json:"temporal_postgres_bytes"` // both Temporal databases at the end
	TemporalPerWF  float64            `json:"temporal_postgres_bytes_per_transaction"`
	Transactions   int                `json:"transactions"`
	Ratios         map[string]float64 `json:"ratios"`
	TemporalServer ProcUsage          `json:"temporal_server"`
}

// ScaleOptionsOut is the part of the options worth keeping with the figures.
type ScaleOptionsOut struct {
	EndToEnd, Intake, Conns, APIs, Workers, Shards, DispatchShards, DBConns, Open, WorkflowCache int
	Experiment                                                                                   string
}

// scaleLogLevel is the product processes' CONVRELAY_LOG_LEVEL.
const scaleLogLevel = "warn"

// RunScale starts PostgreSQL, the Temporal server as its own process (on
// PostgreSQL persistence) and then, phase by phase, the production binary's
// processes: one `convrelay all` (the single-process figure), optionally the
// same with the experiment's variables, then APIs x `convrelay api` and Workers
// x `convrelay worker`. Each phase runs the end-to-end mix (postbacks spread
// over the API processes by the load generator: no load balancer) and an intake
// burst, and waits until everything it sent is applied.
func RunScale(ctx context.Context, o ScaleOptions) (*ScaleResults, error) {
	if o.DBConns <= 0 {
		o.DBConns = 20
	}
	if o.APIs <= 0 || o.Workers <= 0 {
		return nil, errors.New("scale: -apis and -workers must be at least 1")
	}
	host, _ := os.Hostname()
	res := &ScaleResults{Machine: host, CPUs: runtime.NumCPU(), Started: time.Now().UTC(), Ratios: map[string]float64{},
		Options: ScaleOptionsOut{o.EndToEnd, o.Intake, o.Conns, o.APIs, o.Workers, o.Shards, o.DispatchShards, o.DBConns, o.Open, o.WorkflowCache, o.Experiment}}
	step := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "bench-scale: "+format+"\n", args...)
	}
	// Temporal's pools (up to 4 services x 30) and every product process's.
	pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(o.DataDir, "pg"), MaxConnections: 400, Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	defer func() { _ = pg.Stop() }()
	if err := pg.EnsureDatabase(ctx, "convrelay"); err != nil {
		return nil, err
	}
	dbURL := pg.URL("convrelay")
	if o.Bin == "" {
		step("building the production binary (./cmd/convrelay)")
		o.Bin = filepath.Join(o.DataDir, "convrelay")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", o.Bin, "./cmd/convrelay")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/convrelay (run from the repository): %w\n%s", err, out)
		}
	}
	tPort, err := subproc.FreePort()
	if err != nil {
		return nil, err
	}
	ready := filepath.Join(o.DataDir, "temporal.ready")
	step("starting the Temporal server process (PostgreSQL persistence, %d history shards)", o.Shards)
	tproc, err := subproc.Start("temporal", o.Self, []string{"-serve-temporal", "-serve-temporal-pg", dbURL, "-serve-temporal-port", strconv.Itoa(tPort),
		"-serve-temporal-shards", strconv.Itoa(o.Shards), "-serve-temporal-ready", ready}, os.Environ(), filepath.Join(o.DataDir, "temporal.log"))
	if err != nil {
		return nil, err
	}
	defer func() { _ = tproc.Stop(30 * time.Second) }()
	if err := waitFile(ctx, ready, tproc, 3*time.Minute); err != nil {
		return nil, err
	}
	tAddr := "127.0.0.1:" + strconv.Itoa(tPort)
	tc, err := client.DialContext(ctx, client.Options{HostPort: tAddr, Logger: tlog.NewStructuredLogger(o.Logger)})
	if err != nil {
		return nil, fmt.Errorf("dial Temporal: %w", err)
	}
	defer tc.Close()

	key, err := secrets.GenerateKey()
	if err != nil {
		return nil, err
	}
	env := func(extra ...string) []string {
		e := append(subproc.EnvWithoutSettings(), "DATABASE_URL="+dbURL, "TEMPORAL_ADDRESS="+tAddr, "CONVRELAY_SECRET_KEY="+key,
			"CONVRELAY_LOG_LEVEL="+scaleLogLevel, "CONVRELAY_LOG_FORMAT=text",
			// The fake destinations listen on 127.0.0.1; nothing fetches from outside.
			"CONVRELAY_DESTINATION_ALLOW=127.0.0.1/32", "CONVRELAY_RATES_SCHEDULE=false",
			// Every request comes from 127.0.0.1 to one account: bounds no phase reaches.
			"CONVRELAY_RATE_LIMIT_IP_RPS=1e9", "CONVRELAY_RATE_LIMIT_IP_BURST=1000000000",
			"CONVRELAY_RATE_LIMIT_ACCOUNT_RPS=1e9", "CONVRELAY_RATE_LIMIT_ACCOUNT_BURST=1000000000",
			"CONVRELAY_DB_MAX_CONNS="+strconv.Itoa(o.DBConns))
		if o.DispatchShards > 0 {
			e = append(e, "CONVRELAY_DISPATCH_SHARDS="+strconv.Itoa(o.DispatchShards))
		}
		if o.WorkflowCache > 0 {
			e = append(e, "CONVRELAY_WORKFLOW_CACHE_SIZE="+strconv.Itoa(o.WorkflowCache))
		}
		return append(e, extra...)
	}
	step("migrating")
	mig := exec.CommandContext(ctx, o.Bin, "migrate")
	mig.Env = env()
	if out, err := mig.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("convrelay migrate: %w\n%s", err, out)
	}
	st, err := store.Open(ctx, dbURL, 10)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if st.Secrets, err = secrets.New(key); err != nil {
		return nil, err
	}
	acct, _, err := st.CreateAccount(ctx, store.Account{Name: "Bench", Currency: "USD"})
	if err != nil {
		return nil, err
	}
	if _, err := st.CreateIntegration(ctx, store.Integration{AccountID: acct.ID, Slug: "demo", Preset: "custom"}); err != nil {
		return nil, err
	}
	meter := CPUMeter{PGDataDir: filepath.Join(o.DataDir, "pg")}

	type layout struct {
		name          string
		apis, workers int
		all           bool
		extra         []string
		open          int
	}
	layouts := []layout{{name: "single", apis: 1, workers: 1, all: true}}
	if o.Experiment != "" {
		layouts = append(layouts, layout{name: "experiment", apis: 1, workers: 1, all: true, extra: strings.Fields(o.Experiment)})
	}
	layouts = append(layouts, layout{name: "scaled", apis: o.APIs, workers: o.Workers})
	if o.Open > 0 {
		layouts = append(layouts, layout{name: "open", apis: o.APIs, workers: o.Workers, open: o.Open})
	}
	for i, l := range layouts {
		ph := ScalePhase{Name: l.name, APIs: l.apis, Workers: l.workers, Env: l.extra}
		t0, err := usage(tproc)
		if err != nil {
			return nil, err
		}
		var procs []*subproc.Proc
		var bases []string
		metricsOf := map[*subproc.Proc]string{} // where each process serves /metrics
		stopAll := func() {
			for _, p := range procs {
				if err := p.Stop(30 * time.Second); err != nil {
					step("%v", err)
				}
			}
		}
		start := func(name string, args ...string) (*subproc.Proc, error) {
			port, err := subproc.FreePort()
			if err != nil {
				return nil, err
			}
			addr := "127.0.0.1:" + strconv.Itoa(port)
			e := env(l.extra...)
			e = append(e, "HTTP_ADDR="+addr)
			if args[0] == "worker" {
				// A worker-only process serves /metrics on its own address.
				e = append(e, "CONVRELAY_METRICS_ADDR="+addr)
			}
			p, err := subproc.Start(name, o.Bin, args, e, filepath.Join(o.DataDir, l.name+"-"+name+".log"))
			if err != nil {
				return nil, err
			}
			procs = append(procs, p)
			metricsOf[p] = "http://" + addr + "/metrics"
			if args[0] != "worker" {
				bases = append(bases, "http://"+addr)
			}
			return p, nil
		}
		if l.all {
			if _, err := start("all", "all"); err != nil {
				stopAll()
				return nil, err
			}
		} else {
			for k := 0; k < l.apis; k++ {
				if _, err := start("api"+strconv.Itoa(k+1), "api"); err != nil {
					stopAll()
					return nil, err
				}
			}
			for k := 0; k < l.workers; k++ {
				if _, err := start("worker"+strconv.Itoa(k+1), "worker"); err != nil {
					stopAll()
					return nil, err
				}
			}
		}
		step("phase %s: %d API and %d worker processes%s", l.name, l.apis, l.workers, map[bool]string{true: " (one `convrelay all`)", false: ""}[l.all])
		if err := waitScaleReady(ctx, tc, procs, bases, l.workers); err != nil {
			stopAll()
			return nil, err
		}
		prefix := fmt.Sprintf("SC%d-", i)
		if l.open > 0 {
			step("phase %s: opening %d transactions through the intake", l.name, l.open)
			before, err := temporalPostgresBytes(ctx, st)
			if err != nil {
				stopAll()
				return nil, err
			}
			_, ph.OpenedPerSec, err = scaleIntake(ctx, st, bases, acct.ID, l.open, o.Conns, prefix+"OPEN-")
			if err != nil {
				stopAll()
				return nil, fmt.Errorf("phase %s: %w", l.name, err)
			}
			after, err := temporalPostgresBytes(ctx, st)
			if err != nil {
				stopAll()
				return nil, err
			}
			ph.Opened, ph.OpenedBytes = l.open, float64(after-before)/float64(l.open)
		}
		step("phase %s: end to end, %d conversions", l.name, o.EndToEnd)
		ph.EndToEnd, err = endToEnd(ctx, st, bases, acct.ID, o.EndToEnd, o.Conns, meter, prefix, "bench scale "+l.name)
		if err != nil {
			stopAll()
			return nil, fmt.Errorf("phase %s: %w", l.name, err)
		}
		if l.open == 0 {
			step("phase %s: intake, %d postbacks", l.name, o.Intake)
			ph.Intake, ph.IntakeApplied, err = scaleIntake(ctx, st, bases, acct.ID, o.Intake, o.Conns, prefix+"IN-")
			if err != nil {
				stopAll()
				return nil, fmt.Errorf("phase %s: %w", l.name, err)
			}
		}
		for _, p := range procs {
			u, err := usage(p)
			if err != nil {
				stopAll()
				return nil, err
			}
			u.StickyCache, u.HeapInuse = scrapeWorkerMetrics(ctx, metricsOf[p])
			ph.Procs = append(ph.Procs, u)
		}
		t1, err := usage(tproc)
		if err != nil {
			return nil, err
		}
		ph.TemporalCPU = t1.CPUSeconds - t0.CPUSeconds
		stopAll()
		res.Phases = append(res.Phases, ph)
		res.Transactions += o.EndToEnd + o.Intake
		if l.open > 0 {
			res.Transactions += l.open - o.Intake
		}
	}
	single, scaled := res.Phases[0], res.Phases[0]
	for _, p := range res.Phases {
		switch p.Name {
		case "scaled":
			scaled = p
		case "open":
			res.Ratios["open_end_to_end_vs_scaled"] = p.EndToEnd.PerSecond / scaled.EndToEnd.PerSecond
		}
	}
	res.Ratios["scaled_end_to_end_vs_single"] = scaled.EndToEnd.PerSecond / single.EndToEnd.PerSecond
	res.Ratios["scaled_intake_vs_single"] = scaled.Intake.PerSecond / single.Intake.PerSecond
	if len(res.Phases) > 1 && res.Phases[1].Name == "experiment" {
		res.Ratios["experiment_end_to_end_vs_single"] = res.Phases[1].EndToEnd.PerSecond / single.EndToEnd.PerSecond
		res.Ratios["experiment_intake_vs_single"] = res.Phases[1].Intake.PerSecond / single.Intake.PerSecond
	}
	if res.TemporalBytes, err = temporalPostgresBytes(ctx, st); err != nil {
		return nil, err
	}
	res.TemporalPerWF = float64(res.TemporalBytes) / float64(res.Transactions)
	if res.TemporalServer, err = usage(tproc); err != nil {
		return nil, err
	}
	return res, nil
}

// temporalPostgresBytes is the size of the Temporal server's two databases.
func temporalPostgresBytes(ctx context.Context, st *store.Store) (int64, error) {
	var n int64
	if err := st.Pool.QueryRow(ctx, `SELECT coalesce(sum(pg_database_size(datname)), 0)::bigint FROM pg_database
		WHERE datname IN ('convrelay_temporal', 'convrelay_temporal_visibility')`).Scan(&n); err != nil {
		return 0, fmt.Errorf("Temporal database sizes: %w", err)
	}
	return n, nil
}

// waitFile waits for the Temporal process's ready file.
func waitFile(ctx context.Context, path string, p *subproc.Proc, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if ok, err := p.Exited(); ok {
			return fmt.Errorf("%s exited during start-up: %v (see %s)", p.Name, err, p.Log)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready within %s (see %s)", p.Name, limit, p.Log)
		}
		if err := subproc.Sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// waitScaleReady waits until every API answers /readyz and the task queue has
// pollers from every worker process (each polls with its own identity).
func waitScaleReady(ctx context.Context, tc client.Client, procs []*subproc.Proc, bases []string, workers int) error {
	since := time.Now()
	deadline := since.Add(2 * time.Minute)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		var last error
		for _, p := range procs {
			if ok, err := p.Exited(); ok {
				return fmt.Errorf("%s exited during start-up: %v (see %s)", p.Name, err, p.Log)
			}
		}
		for _, b := range bases {
			resp, err := hc.Get(b + "/readyz")
			if err != nil {
				last = err
				continue
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				last = fmt.Errorf("%s/readyz answered %d", b, resp.StatusCode)
			}
		}
		if last == nil {
			d, err := tc.DescribeTaskQueue(ctx, workflows.DefaultTaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
			switch {
			case err != nil:
				last = err
			default:
				ids := map[string]bool{}
				for _, p := range d.GetPollers() {
					// Pollers of an earlier phase's processes stay listed a while.
					if p.GetLastAccessTime().AsTime().After(since) {
						ids[p.GetIdentity()] = true
					}
				}
				if len(ids) < workers {
					last = fmt.Errorf("%d worker identities poll, want %d", len(ids), workers)
				}
			}
		}
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes not ready within 2m: %v", last)
		}
		if err := subproc.Sleep(ctx, 300*time.Millisecond); err != nil {
			return err
		}
	}
}

// scaleIntake sends n single approved postbacks (each its own transaction, on a
// click nobody recorded: unattributed, no delivery) over the API bases and
// waits until they are applied.
func scaleIntake(ctx context.Context, st *store.Store, bases []string, accountID string, n, conns int, prefix string) (LoadResult, float64, error) {
	if n <= 0 {
		return LoadResult{}, 0, nil
	}
	f, err := newFixtureOn(ctx, st, bases, accountID, "bench scale intake "+prefix, 0)
	if err != nil {
		return LoadResult{}, 0, err
	}
	defer f.close()
	startID, err := lastPostbackID(ctx, st)
	if err != nil {
		return LoadResult{}, 0, err
	}
	t0 := time.Now()
	r := Burst(ctx, NewClient(conns), conns, n, func(i int) (*http.Request, error) {
		return f.request("click_id=unrecorded-" + strconv.Itoa(i) + "&transaction_id=" + prefix + strconv.Itoa(i) + "&commission=4.99&status=approved")
	}, answeredOK)
	if r.Errors > 0 {
		return r, 0, fmt.Errorf("intake: %d postbacks not accepted: %s", r.Errors, r.FirstError)
	}
	if err := waitDrained(ctx, st, startID, n, 0, f); err != nil {
		return r, 0, fmt.Errorf("intake: %w", err)
	}
	return r, float64(n) / time.Since(t0).Seconds(), nil
}

// Print writes the scale-out table.
func (r *ScaleResults) Print(w io.Writer) {
	fmt.Fprintf(w, "\nConvrelay scale-out bench on %s (%d CPUs), %s\n", r.Machine, r.CPUs, r.Started.Format(time.RFC3339))
	cache := "2000 (default)"
	if r.Options.WorkflowCache > 0 {
		cache = strconv.Itoa(r.Options.WorkflowCache)
	}
	fmt.Fprintf(w, "Temporal: its own process, PostgreSQL persistence, %d history shards; product: the production binary as separate processes (workflow cache %s)\n\n",
		r.Options.Shards, cache)
	fmt.Fprintf(w, "%-11s %-12s %14s %10s %10s %12s %10s %s\n", "phase", "processes", "end to end", "p50", "p99", "intake", "p99", "notes")
	single := r.Phases[0]
	for _, p := range r.Phases {
		procs := fmt.Sprintf("%d api %d wk", p.APIs, p.Workers)
		if p.Name == "single" || p.Name == "experiment" {
			procs = "1 all"
		}
		e := p.EndToEnd
		note := fmt.Sprintf("%.0f%% / %.0f%% of single; intake applied %.1f/s; Temporal CPU %.1f s", 100*e.PerSecond/single.EndToEnd.PerSecond,
			100*p.Intake.PerSecond/single.Intake.PerSecond, p.IntakeApplied, p.TemporalCPU)
		if p.Opened > 0 {
			note = fmt.Sprintf("%.0f%% of single, %.0f%% of scaled, on %d open transactions (opened at %.1f/s, Temporal's databases +%.0f B each); Temporal CPU %.1f s",
				100*e.PerSecond/single.EndToEnd.PerSecond, 100*r.Ratios["open_end_to_end_vs_scaled"], p.Opened, p.OpenedPerSec, p.OpenedBytes, p.TemporalCPU)
		}
		if len(p.Env) > 0 {
			note += "; " + strings.Join(p.Env, " ")
		}
		intake, intakeP99 := fmt.Sprintf("%8.0f r/s", p.Intake.PerSecond), ms(p.Intake.P99)
		if p.Intake.Requests == 0 {
			intake, intakeP99 = "-", "-"
		}
		fmt.Fprintf(w, "%-11s %-12s %10.1f c/s %10s %10s %12s %10s %s\n", p.Name, procs, e.PerSecond, ms(e.P50), ms(e.P99),
			intake, intakeP99, note)
		var parts []string
		for _, u := range p.Procs {
			x := fmt.Sprintf("%s RSS %s CPU %.1f s", u.Name, mib(u.RSS), u.CPUSeconds)
			if u.StickyCache >= 0 {
				x += fmt.Sprintf(" heap %s cache %d", mib(u.HeapInuse), u.StickyCache)
			}
			parts = append(parts, x)
		}
		fmt.Fprintf(w, "%-11s %-12s %s; PostgreSQL CPU %.1f s in the end-to-end mix\n", "", "", strings.Join(parts, ", "), e.CPU.PostgresSeconds)
	}
	fmt.Fprintf(w, "\nTemporal server process: RSS %s, CPU %.1f s in all; its PostgreSQL databases %s (%.0f B per transaction over %d)\n",
		mib(r.TemporalServer.RSS), r.TemporalServer.CPUSeconds, mib(r.TemporalBytes), r.TemporalPerWF, r.Transactions)
	if n := duplicates(r.Phases); n > 0 {
		fmt.Fprintf(w, "WARNING: %d deliveries were received more than once\n", n)
	}
	fmt.Fprintln(w)
}

// scrapeWorkerMetrics reads a process's /metrics: the SDK's sticky cache
// occupancy and the Go heap in use (-1, 0 when unreadable or not served).
func scrapeWorkerMetrics(ctx context.Context, url string) (cache int, heap int64) {
	cache = -1
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return cache, 0
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return cache, 0
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return cache, 0
	}
	return parseWorkerMetrics(string(raw))
}

// parseWorkerMetrics finds temporal_sticky_cache_size (the largest of its
// series) and go_memstats_heap_inuse_bytes in a Prometheus text exposition.
func parseWorkerMetrics(text string) (cache int, heap int64) {
	cache = -1
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name := line
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name = line[:i]
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.Contains(name, "sticky_cache_size"):
			cache = max(cache, int(v))
		case name == "go_memstats_heap_inuse_bytes":
			heap = int64(v)
		}
	}
	return cache, heap
}

func duplicates(ps []ScalePhase) int {
	n := 0
	for _, p := range ps {
		n += p.EndToEnd.DuplicateRequests
	}
	return n
}
