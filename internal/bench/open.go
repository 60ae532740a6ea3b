package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/internal/store"
)

// openPrefix and openMixPrefix are the transaction ids of the open population
// and of the end-to-end mix run on top of it.
const (
	openPrefix    = "OPEN-"
	openMixPrefix = "OPENMIX-"
)

// MemSample is the stack process's memory at one moment. In the bench the API,
// the worker and the embedded Temporal server share the process, so RSS and the
// Go heap are all three together; the sticky cache is the worker's alone.
type MemSample struct {
	RSS         int64 `json:"rss_bytes"`           // VmRSS of /proc/self/status
	HeapInuse   int64 `json:"go_heap_inuse_bytes"` // after a GC: what is retained, not garbage
	StickyCache int   `json:"sticky_cache_workflows"`
	Goroutines  int   `json:"goroutines"`
}

// OpenResult is the end-to-end mix run on a stack that already holds a
// population of open transactions, each a ConversionWorkflow waiting on its
// settle timer.
type OpenResult struct {
	Transactions int           `json:"transactions"`
	OpenDuration time.Duration `json:"open_duration_ns"` // first postback sent to the last applied
	OpenPerSec   float64       `json:"opened_per_second"`
	// Running is the namespace's running workflows once the population is
	// applied (a visibility count): the population plus earlier phases' open ones.
	Running           int64 `json:"running_workflows"`
	WorkflowCacheSize int   `json:"workflow_cache_size"` // CONVRELAY_WORKFLOW_CACHE_SIZE
	// Memory before the population was opened, once it is applied, and after
	// the mix run on top of it.
	MemBefore MemSample `json:"memory_before"`
	MemOpen   MemSample `json:"memory_open"`
	MemAfter  MemSample `json:"memory_after_mix"`
	// Temporal's persistence (SQLite pages in use) before and after opening.
	TemporalBefore int64          `json:"temporal_bytes_before"`
	TemporalOpen   int64          `json:"temporal_bytes_open"`
	TemporalAfter  int64          `json:"temporal_bytes_after_mix"`
	PerOpen        float64        `json:"temporal_bytes_per_open_transaction"`
	EndToEnd       EndToEndResult `json:"end_to_end"`
	// VsEmpty is EndToEnd's throughput over the empty-stack end-to-end figure of
	// the same run (issue 28's target: at least 0.9).
	VsEmpty float64 `json:"vs_empty_stack"`
}

// openPopulationTarget: throughput with the population within 10% of the empty stack's.
const openPopulationTarget = 0.9

// openPopulation sends n approved postbacks through the real intake, each for
// its own transaction on a click nobody recorded (so each is recorded as
// unattributed and causes no delivery: the workflow then only waits on its
// settle timer), waits until every one is applied, then runs the end-to-end mix
// of e2e conversions on top.
func openPopulation(ctx context.Context, stack stackHandles, n, e2e, conns int, emptyRate float64) (OpenResult, error) {
	res := OpenResult{Transactions: n, WorkflowCacheSize: stack.cacheSize}
	var err error
	if res.MemBefore, err = memSample(stack.registry); err != nil {
		return res, err
	}
	if res.TemporalBefore, err = temporalBytes(ctx, stack.temporalDir); err != nil {
		return res, err
	}
	f, err := newFixture(ctx, stack.store, stack.apiBase, stack.accountID, "bench open population", 0)
	if err != nil {
		return res, fmt.Errorf("open population: %w", err)
	}
	defer f.close()
	startID, err := lastPostbackID(ctx, stack.store)
	if err != nil {
		return res, fmt.Errorf("open population: %w", err)
	}
	t0 := time.Now()
	r := Burst(ctx, NewClient(conns), conns, n, func(i int) (*http.Request, error) {
		return f.request("click_id=open-unrecorded-" + strconv.Itoa(i) + "&transaction_id=" + openPrefix + strconv.Itoa(i) + "&commission=4.99&status=approved")
	}, answeredOK)
	if r.Errors > 0 {
		return res, fmt.Errorf("open population: %d postbacks not accepted: %s", r.Errors, r.FirstError)
	}
	if err := waitDrained(ctx, stack.store, startID, n, 0, f); err != nil {
		return res, fmt.Errorf("open population: %w", err)
	}
	res.OpenDuration = time.Since(t0)
	res.OpenPerSec = float64(n) / res.OpenDuration.Seconds()
	if err := checkOpenApplied(ctx, stack.store, startID, n); err != nil {
		return res, err
	}
	cnt, err := stack.temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: "ExecutionStatus = 'Running'"})
	if err != nil {
		return res, fmt.Errorf("open population: count running workflows: %w", err)
	}
	res.Running = cnt.GetCount()
	if res.MemOpen, err = memSample(stack.registry); err != nil {
		return res, err
	}
	if res.TemporalOpen, err = temporalBytes(ctx, stack.temporalDir); err != nil {
		return res, err
	}
	res.PerOpen = float64(res.TemporalOpen-res.TemporalBefore) / float64(n)
	fmt.Fprintf(os.Stderr, "bench: open population applied (%d running workflows); end to end on top, %d conversions...\n", res.Running, e2e)
	res.EndToEnd, err = endToEnd(ctx, stack.store, []string{stack.apiBase}, stack.accountID, e2e, conns, stack.meter, openMixPrefix, "bench on open population")
	if err != nil {
		return res, fmt.Errorf("open population: %w", err)
	}
	if res.MemAfter, err = memSample(stack.registry); err != nil {
		return res, err
	}
	if res.TemporalAfter, err = temporalBytes(ctx, stack.temporalDir); err != nil {
		return res, err
	}
	if emptyRate > 0 {
		res.VsEmpty = res.EndToEnd.PerSecond / emptyRate
	}
	return res, nil
}

// checkOpenApplied wants every postback of the population processed as applied
// (not failed or refused): each then has a workflow waiting on its timer.
func checkOpenApplied(ctx context.Context, st *store.Store, startID int64, n int) error {
	var applied int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM postback_log WHERE id > $1 AND starts_with(transaction_id, $2)
		AND processed_at IS NOT NULL AND workflow_id <> ''`, startID, openPrefix).Scan(&applied); err != nil {
		return fmt.Errorf("open population: count applied: %w", err)
	}
	if applied != n {
		return fmt.Errorf("open population: %d of %d postbacks applied with a workflow", applied, n)
	}
	return nil
}

// stackHandles is what the open-population phase needs of the running stack.
type stackHandles struct {
	store       *store.Store
	temporal    client.Client
	registry    *prometheus.Registry
	apiBase     string
	accountID   string
	temporalDir string
	cacheSize   int
	meter       CPUMeter
}

// temporalBytes is the embedded Temporal's SQLite pages in use, both files.
func temporalBytes(ctx context.Context, dir string) (int64, error) {
	files, _, err := temporalSizes(ctx, dir)
	if err != nil {
		return 0, err
	}
	return sum(files), nil
}

// memSample collects garbage, then reads this process's RSS, its retained Go
// heap and the worker's sticky cache occupancy (the SDK's
// temporal_sticky_cache_size gauge on the stack's metrics registry).
func memSample(reg *prometheus.Registry) (MemSample, error) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := MemSample{HeapInuse: int64(ms.HeapInuse), Goroutines: runtime.NumGoroutine()}
	var err error
	if s.RSS, err = selfRSS(); err != nil {
		return s, err
	}
	s.StickyCache = -1
	if reg != nil {
		mfs, err := reg.Gather()
		if err != nil {
			return s, fmt.Errorf("read metrics: %w", err)
		}
		for _, mf := range mfs {
			if strings.Contains(mf.GetName(), "sticky_cache_size") {
				for _, m := range mf.GetMetric() {
					s.StickyCache = max(s.StickyCache, int(m.GetGauge().GetValue()))
				}
			}
		}
	}
	return s, nil
}

// selfRSS is this process's resident set size.
func selfRSS() (int64, error) {
	return procRSS("/proc/self/status")
}

// procRSS reads VmRSS from a /proc/<pid>/status file.
func procRSS(path string) (int64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read RSS: %w", err)
	}
	return parseVmRSS(string(raw))
}

// parseVmRSS finds "VmRSS:  1234 kB" in a status file.
func parseVmRSS(status string) (int64, error) {
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) < 1 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS %q: %w", rest, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS line")
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func (m MemSample) String() string {
	cache := "-"
	if m.StickyCache >= 0 {
		cache = strconv.Itoa(m.StickyCache)
	}
	return fmt.Sprintf("RSS %s, Go heap %s, sticky cache %s", mib(m.RSS), mib(m.HeapInuse), cache)
}

// printOpen is the open-population rows.
func printOpen(w io.Writer, o OpenResult) {
	if o.Transactions == 0 {
		return
	}
	e := o.EndToEnd
	verdict := Missed
	if o.VsEmpty >= openPopulationTarget {
		verdict = Met
	}
	fmt.Fprintf(w, "%-11s %10.1f c/s %10s %10s %10s %d conversions on %d open transactions (%d running workflows); %.0f%% of the empty stack's end to end (target >= %.0f%%: %s); drain %s\n",
		"open e2e", e.PerSecond, ms(e.P50), ms(e.P99), e.Duration.Round(time.Millisecond), e.Conversions, o.Transactions, o.Running,
		100*o.VsEmpty, 100*openPopulationTarget, verdict, e.Drain.Round(time.Millisecond))
	fmt.Fprintf(w, "%-11s %14s %10s %10s %10s opened %d in %s (%.1f/s through the intake); Temporal persistence %s -> %s open -> %s after the mix (%.0f B per open transaction)\n",
		"  open", "", "", "", "", o.Transactions, o.OpenDuration.Round(time.Second), o.OpenPerSec,
		mib(o.TemporalBefore), mib(o.TemporalOpen), mib(o.TemporalAfter), o.PerOpen)
	fmt.Fprintf(w, "%-11s %14s %10s %10s %10s before: %s; open: %s; after the mix: %s (cache bound %d; API, worker and Temporal share this process)\n",
		"  memory", "", "", "", "", o.MemBefore, o.MemOpen, o.MemAfter, o.WorkflowCacheSize)
}
