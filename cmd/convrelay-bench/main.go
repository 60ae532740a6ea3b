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
	out := flag.String("out", "bench-results.json", "where to write the JSON results")
	flag.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the end-to-end phase here")
	ro := bench.ReportOptions{}
	flag.IntVar(&ro.Conversions, "report-conversions", 1_000_000, "conversions seeded for the report-latency phase (clicks: 5x; 0 skips it)")
	flag.IntVar(&ro.ImportRows, "import-rows", 100_000, "rows of the CSV import measured after the reports")
	reportsOnly := flag.Bool("reports-only", false, "run only the report-latency phase")
	flag.Parse()
	bench.ProgressOut = os.Stderr // a line every few seconds within each phase
	dir, err := os.MkdirTemp("", "convrelay-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	o.DataDir = dir
	o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
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
	raw, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*out, append(raw, '\n'), 0o644)
}
