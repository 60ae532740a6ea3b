// Command convrelay-bench is `make bench`: it starts the embedded stack in a fresh
// directory and prints one table (raw insert, intake, Temporal ceilings, end to end,
// steady rate) with issue 16's targets, writing the same figures as JSON.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/convrelay/convrelay/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := realMain(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "convrelay-bench:", err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context) error {
	o := bench.Options{}
	flag.IntVar(&o.IntakeRequests, "intake", 50000, "postbacks in the raw and intake bursts")
	flag.IntVar(&o.CeilingFlows, "ceiling", 2000, "workflows for each Temporal ceiling (ceiling, ceiling0, PostgreSQL)")
	flag.IntVar(&o.EndToEnd, "e2e", 2000, "conversions in the end-to-end mix")
	flag.DurationVar(&o.Steady, "steady", 60*time.Second, "sending window of the steady phase, at half the end-to-end rate (0 skips it)")
	flag.IntVar(&o.Conns, "conns", 32, "concurrent connections")
	flag.BoolVar(&o.Eager, "eager", false, "also start ceiling0's empty workflow by ExecuteWorkflow, plainly and with eager start (issue 28 item 5's experiment)")
	flag.IntVar(&o.Open, "open", 0, "open this many transactions (workflows waiting on their settle timer) after the other phases, then run the end-to-end mix again on top (0 skips it; issue 28 asks 100000); with -scale, a last phase on the scaled layout")
	out := flag.String("out", "bench-results.json", "where to write the JSON results")
	flag.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the end-to-end phase here")
	ro := bench.ReportOptions{}
	flag.IntVar(&ro.Conversions, "report-conversions", 1_000_000, "conversions seeded for the report-latency phase (clicks: 5x; 0 skips it)")
	flag.IntVar(&ro.ImportRows, "import-rows", 100_000, "rows of the CSV import measured after the reports")
	reportsOnly := flag.Bool("reports-only", false, "run only the report-latency phase")
	so := bench.ScaleOptions{}
	scale := flag.Bool("scale", false, "run the scale-out bench instead (make bench-scale): Temporal as its own process on PostgreSQL, the production binary as separate api and worker processes")
	flag.IntVar(&so.APIs, "apis", 2, "-scale: `convrelay api` processes of the scaled phase")
	flag.IntVar(&so.Workers, "workers", 2, "-scale: `convrelay worker` processes of the scaled phase")
	flag.IntVar(&so.Shards, "shards", 16, "-scale: the Temporal server's history shards")
	flag.IntVar(&so.DispatchShards, "dispatch-shards", 0, "-scale: CONVRELAY_DISPATCH_SHARDS of the product processes (0: the product's default)")
	flag.IntVar(&so.WorkflowCache, "workflow-cache", 0, "-scale: CONVRELAY_WORKFLOW_CACHE_SIZE of the product processes (0: the product's default)")
	flag.IntVar(&so.DBConns, "db-conns", 20, "-scale: CONVRELAY_DB_MAX_CONNS of each product process")
	flag.IntVar(&so.Intake, "scale-intake", 2000, "-scale: postbacks of each phase's intake burst")
	flag.StringVar(&so.Experiment, "experiment", "", "-scale: also run the single process with these variables (\"NAME=VALUE ...\") and compare")
	flag.StringVar(&so.Bin, "bin", "", "-scale: a built production binary (default: go build ./cmd/convrelay)")
	st := bench.ServeTemporalOptions{Retention: 52 * 24 * time.Hour}
	serveTemporal := flag.Bool("serve-temporal", false, "internal to -scale: run only the Temporal server (PostgreSQL persistence) until signalled")
	flag.StringVar(&st.PostgresURL, "serve-temporal-pg", "", "internal to -scale: PostgreSQL URL for -serve-temporal")
	flag.IntVar(&st.Port, "serve-temporal-port", 0, "internal to -scale: gRPC port for -serve-temporal")
	flag.IntVar(&st.Shards, "serve-temporal-shards", 16, "internal to -scale: history shards for -serve-temporal")
	flag.StringVar(&st.ReadyFile, "serve-temporal-ready", "", "internal to -scale: file written once -serve-temporal serves")
	flag.Parse()
	if *serveTemporal {
		return bench.ServeTemporal(ctx, st)
	}
	bench.ProgressOut = os.Stderr // a line every few seconds within each phase
	dir, err := os.MkdirTemp("", "convrelay-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	o.DataDir = dir
	o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *scale {
		if so.Self, err = os.Executable(); err != nil {
			return err
		}
		so.DataDir, so.Logger, so.EndToEnd, so.Conns, so.Open = dir, o.Logger, o.EndToEnd, o.Conns, o.Open
		if !isFlagSet("out") {
			*out = "bench-scale-results.json"
		}
		res, err := bench.RunScale(ctx, so)
		if err != nil {
			return err
		}
		res.Print(os.Stdout)
		return writeJSON(*out, res)
	}
	if ro.Conversions > 0 {
		ro.Clicks, ro.DataDir, ro.Logger = 5*ro.Conversions, dir, o.Logger
		rr, err := bench.RunReports(ctx, ro)
		if err != nil {
			return err
		}
		rr.Print(os.Stdout)
	}
	if *reportsOnly {
		return nil
	}
	res, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	res.Print(os.Stdout)
	return writeJSON(*out, res)
}

func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

func isFlagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
