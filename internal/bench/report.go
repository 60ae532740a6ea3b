package bench

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// Results is one `make bench` run.
type Results struct {
	Machine string        `json:"machine"`
	Started time.Time     `json:"started"`
	Raw     LoadResult    `json:"raw"`
	Intake  LoadResult    `json:"intake"`
	Ceiling CeilingResult `json:"ceiling"`
	// Ceiling0 is Temporal's floor: a workflow that takes its signal and returns.
	Ceiling0 CeilingResult `json:"ceiling0"`
	// CeilingPostgres is the same yardstick with Temporal persisting in
	// PostgreSQL (16 shards), the alternative to the stack's SQLite (WAL).
	CeilingPostgres CeilingResult `json:"ceiling_postgres"`
	// StartSWS, StartPlain and StartEager are item 5's start experiment
	// (-eager), interleaved in rounds: ceiling0's empty workflow by
	// SignalWithStart, and a workflow started with its input and returning at
	// once by ExecuteWorkflow, without and with eager start.
	StartSWS   CeilingResult  `json:"start_signal_with_start,omitempty"`
	StartPlain CeilingResult  `json:"start_plain,omitempty"`
	StartEager CeilingResult  `json:"start_eager,omitempty"`
	EndToEnd   EndToEndResult `json:"end_to_end"`
	// Cost is the end-to-end phase's Temporal Cloud actions and bytes per conversion.
	Cost   CostResult   `json:"cost"`
	Steady SteadyResult `json:"steady"`
	// Open is the end-to-end mix on a population of open transactions (-open).
	Open    OpenResult         `json:"open_population"`
	Ratios  map[string]float64 `json:"ratios"`
	Targets []Verdict          `json:"targets"`
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// Print writes the results as one table, then the targets.
func (r *Results) Print(w io.Writer) {
	fmt.Fprintf(w, "\nConvrelay bench on %s (%d CPUs), %s\n\n", r.Machine, runtime.NumCPU(), r.Started.Format(time.RFC3339))
	fmt.Fprintf(w, "%-11s %14s %10s %10s %10s %s\n", "phase", "throughput", "p50", "p99", "duration", "notes")
	fmt.Fprintf(w, "%-11s %10.0f r/s %10s %10s %10s %d requests, 32 connections\n", "raw", r.Raw.PerSecond, ms(r.Raw.P50), ms(r.Raw.P99),
		r.Raw.Duration.Round(time.Millisecond), r.Raw.Requests)
	fmt.Fprintf(w, "%-11s %10.0f r/s %10s %10s %10s %d postbacks, %.0f%% of raw, %d errors\n", "intake", r.Intake.PerSecond, ms(r.Intake.P50),
		ms(r.Intake.P99), r.Intake.Duration.Round(time.Millisecond), r.Intake.Requests, 100*r.Ratios["intake_vs_raw"], r.Intake.Errors)
	fmt.Fprintf(w, "%-11s %10.1f wf/s %10s %10s %10s %d trivial workflows (2 no-op activities), Temporal on SQLite (WAL, synchronous=NORMAL)\n", "ceiling",
		r.Ceiling.PerSecond, "-", "-", r.Ceiling.Duration.Round(time.Millisecond), r.Ceiling.Workflows)
	fmt.Fprintf(w, "%-11s %10.1f wf/s %10s %10s %10s the same with Temporal on PostgreSQL, 16 shards, for the choice\n", "  (pg)",
		r.CeilingPostgres.PerSecond, "-", "-", r.CeilingPostgres.Duration.Round(time.Millisecond))
	fmt.Fprintf(w, "%-11s %10.1f wf/s %10s %10s %10s %d workflows that take their signal and return (no activity): Temporal's floor\n", "ceiling0",
		r.Ceiling0.PerSecond, "-", "-", r.Ceiling0.Duration.Round(time.Millisecond), r.Ceiling0.Workflows)
	if r.StartEager.Workflows > 0 {
		fmt.Fprintf(w, "%-11s %10.1f wf/s %10s %10s %10s item 5, %d rounds interleaved: ceiling0's empty workflow by SignalWithStart (the dispatcher's way)\n", "  sws",
			r.StartSWS.PerSecond, "-", "-", r.StartSWS.Duration.Round(time.Millisecond), eagerRounds)
		fmt.Fprintf(w, "%-11s %10.1f wf/s %10s %10s %10s the same floor started by ExecuteWorkflow with its input, no signal\n", "  start",
			r.StartPlain.PerSecond, "-", "-", r.StartPlain.Duration.Round(time.Millisecond))
		fmt.Fprintf(w, "%-11s %10.1f wf/s %10s %10s %10s ... with EnableEagerStart (first task in the start's answer, worker in this process): %.0f%% of plain, %.0f%% of SignalWithStart\n", "  eager",
			r.StartEager.PerSecond, "-", "-", r.StartEager.Duration.Round(time.Millisecond), 100*r.Ratios["start_eager_vs_plain"], 100*r.Ratios["start_eager_vs_signal_with_start"])
	}
	e := r.EndToEnd
	fmt.Fprintf(w, "%-11s %10.1f c/s %10s %10s %10s %d conversions, %d postbacks, %d deliveries, %d suppressed, %d duplicates; drain %s; %.0f%% of ceiling, %.0f%% of ceiling0\n",
		"end to end", e.PerSecond, ms(e.P50), ms(e.P99), e.Duration.Round(time.Millisecond), e.Conversions, e.Postbacks, e.Deliveries,
		e.Suppressed, e.Duplicates, e.Drain.Round(time.Millisecond), 100*r.Ratios["end_to_end_vs_ceiling"], 100*r.Ratios["end_to_end_vs_ceiling0"])
	printCPU(w, e.CPU)
	printCost(w, r.Cost)
	if s := r.Steady; s.Conversions > 0 {
		fmt.Fprintf(w, "%-11s %10.1f c/s %10s %10s %10s %d conversions, %d postbacks, %d deliveries, open loop at %.1f/s (half of end to end); drain %s; p99 < %s: %s\n",
			"steady", s.Rate, ms(s.P50), ms(s.P99), s.Window.Round(time.Millisecond), s.Conversions, s.Postbacks, s.Deliveries,
			s.TargetRate, s.Drain.Round(time.Millisecond), steadyP99Target, status(r.Targets, "steady"))
		printCPU(w, s.CPU)
	}
	printOpen(w, r.Open)
	if n := e.DuplicateRequests + r.Steady.DuplicateRequests + r.Open.EndToEnd.DuplicateRequests; n > 0 {
		fmt.Fprintf(w, "WARNING: %d deliveries were received more than once\n", n)
	}
	fmt.Fprintf(w, "\ntargets (issue 16)\n")
	for _, v := range r.Targets {
		fmt.Fprintf(w, "  %-38s %-20s %s\n", v.Target, v.Value, v.Status)
	}
	fmt.Fprintln(w)
}

// printCPU is the sub-row under a pipeline phase: CPU per conversion.
func printCPU(w io.Writer, c CPUCost) {
	fmt.Fprintf(w, "%-11s %14s %10s %10s %10s CPU per conversion: %.1f ms this process (API, worker, Temporal, load generator), %.1f ms PostgreSQL (%.1f s + %.1f s)\n",
		"  cpu", "", "", "", "", 1000*c.ProcessPerConversion, 1000*c.PostgresPerConversion, c.ProcessSeconds, c.PostgresSeconds)
}
