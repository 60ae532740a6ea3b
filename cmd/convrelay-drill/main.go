// Command convrelay-drill runs the fault drills (and the soak) against the
// production binary on a stack of its own, on 127.0.0.1:
//
//	convrelay-drill                  every drill, full form (make drill)
//	convrelay-drill -short           the CI form: same faults, shorter
//	convrelay-drill -only storm      one drill
//	convrelay-drill -soak            the 10-minute soak instead (make soak)
//
// Each drill prints "sent N, conversions N, delivered N per destination, lost 0,
// duplicated 0" or what went wrong; the exit status is 1 when any failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/convrelay/convrelay/internal/drill"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := realMain(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "convrelay-drill:", err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("convrelay-drill", flag.ContinueOnError)
	short := fs.Bool("short", false, "the short (CI) form: 10 s Temporal outage, 20 s of 503s, one worker kill")
	soak := fs.Bool("soak", false, "run the soak (steady load, memory and goroutines at start and end) instead of the drills")
	only := fs.String("only", "", "run one drill: "+strings.Join(drill.Names(), ", "))
	dir := fs.String("dir", "", "work directory (default: a new temporary one, removed unless something failed)")
	keep := fs.Bool("keep", false, "keep the work directory (logs, data) even when everything passed")
	bin := fs.String("bin", "", "production binary to drill (default: build "+drill.ProductPackage+")")
	rate := fs.Float64("rate", 0, "transactions per second of steady load (default 10 for drills, 20 for the soak; short: 8 and 10)")
	soakFor := fs.Duration("soak-for", 0, "soak duration after the warm-up (default 10m; short: 2m)")
	pgDown := fs.Duration("postgres-down", 0, "postgres-long: how long PostgreSQL stays down (default 5m; short: 40s)")
	burst := fs.Int("burst", 0, "fair: postbacks the busy account sends at once (default 50000; short: 1000)")
	verbose := fs.Bool("v", false, "info-level logs from the API and worker (in the work directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *only != "" && !slices.Contains(drill.Names(), *only) {
		return fmt.Errorf("no drill named %q (have %s)", *only, strings.Join(drill.Names(), ", "))
	}
	cfg := drill.Full()
	if *short {
		cfg = drill.Short()
	}
	if *rate > 0 {
		cfg.Rate, cfg.SoakRate = *rate, *rate
	}
	if *pgDown > 0 {
		cfg.PostgresLong = *pgDown
	}
	if *burst > 0 {
		cfg.FairBurst = *burst
	}
	if *soakFor > 0 {
		cfg.SoakFor = *soakFor
	}
	work := *dir
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "convrelay-drill-"); err != nil {
			return err
		}
	}
	level := "warn"
	if *verbose {
		level = "info"
	}
	started := time.Now()
	s, err := drill.StartStack(ctx, drill.StackOptions{Dir: work, Bin: *bin, Progress: out, LogLevel: level})
	if err != nil {
		return fmt.Errorf("%w (work directory %s)", err, work)
	}
	var results []drill.Result
	if *soak {
		r := drill.Soak(ctx, s, cfg)
		r.Name = "soak"
		fmt.Fprint(out, r.Report())
		results = append(results, r)
	} else {
		results, err = drill.Run(ctx, s, cfg, *only, out)
	}
	s.Close()
	if err != nil {
		return err
	}
	failed := 0
	fmt.Fprintf(out, "\nsummary (%s, work directory %s):\n", time.Since(started).Round(time.Second), work)
	for _, r := range results {
		status := "ok    "
		if !r.OK() {
			status = "FAILED"
			failed++
		}
		fmt.Fprintf(out, "  %s %-17s %s\n", status, r.Name, r.Line())
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d failed; logs in %s", failed, len(results), work)
	}
	if *dir == "" && !*keep {
		if err := os.RemoveAll(work); err != nil {
			return errors.Join(errors.New("remove work directory"), err)
		}
	}
	return nil
}
