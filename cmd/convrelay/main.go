// Command convrelay runs Convrelay in production against an existing PostgreSQL
// (DATABASE_URL) and Temporal (TEMPORAL_ADDRESS):
//
//	convrelay migrate   apply database migrations
//	convrelay api       serve the intake, click redirect and admin API (and dispatch to Temporal)
//	convrelay worker    run the Temporal worker (workflows and deliveries)
//	convrelay all       api and worker in one process
//	convrelay create-account NAME   create an account and print its admin key
//
// It does not link the Temporal server: the embedded development stack is
// cmd/convrelay-dev.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/internal/app"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := realMain(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "convrelay:", err)
		os.Exit(1)
	}
}

const usage = "usage: convrelay migrate|api|worker|all|create-account NAME"

func realMain(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set (for a local stack with everything embedded, run `make run`)")
	}
	logger := cfg.NewLogger(os.Stderr)
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer st.Close()

	switch args[0] {
	case "migrate":
		if err := store.Migrate(ctx, st.Pool); err != nil {
			return err
		}
		logger.Info("migrations applied")
		return nil
	case "create-account":
		if len(args) < 2 {
			return errors.New(usage)
		}
		a, key, err := st.CreateAccount(ctx, store.Account{Name: args[1]})
		if err != nil {
			return err
		}
		fmt.Printf("account_id=%s\nadmin_key=%s\n", a.ID, key)
		return nil
	case "api", "worker", "all":
	default:
		return fmt.Errorf("unknown command %q; %s", args[0], usage)
	}
	address := cfg.TemporalAddress
	if address == "" {
		address = "127.0.0.1:7233"
	}
	opts, err := cfg.TemporalOptions(address, logger)
	if err != nil {
		return err
	}
	m := metrics.New()
	opts.MetricsHandler = m.TemporalHandler()
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", address, err)
	}
	defer tc.Close()
	a := &app.App{Config: cfg, Logger: logger, Store: st, Temporal: tc, Metrics: m, RatesSchedule: true}
	return a.Run(ctx, args[0] != "worker", args[0] != "api")
}
