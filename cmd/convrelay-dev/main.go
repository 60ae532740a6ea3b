// Command convrelay-dev is `make run`: the whole product in one process on embedded
// defaults (local PostgreSQL under .data/pg, embedded Temporal with its Web UI,
// worker and API), with a demo account. Ctrl-C stops everything cleanly; the next
// start finds every workflow and row again.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/devstack"
	"github.com/convrelay/convrelay/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := realMain(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "convrelay-dev:", err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context) error {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "version", "--version", "-version":
			fmt.Println(version.String())
			return nil
		default:
			fmt.Println(`Usage: convrelay-dev   (what ` + "`make run`" + ` starts)

The whole product in one process on embedded defaults: a local PostgreSQL under
$CONVRELAY_DATA_DIR/pg (unless DATABASE_URL is set), an embedded Temporal server
with its Web UI (unless TEMPORAL_ADDRESS is set), the worker and the API, and a
demo account. Reads every variable of ` + "`convrelay all --help`" + ` plus
CONVRELAY_DATA_DIR, CONVRELAY_DEV_PG_PORT, CONVRELAY_DEV_TEMPORAL_PORT,
CONVRELAY_DEV_UI_PORT and CONVRELAY_DEV_TEMPORAL_PERSISTENCE.`)
			return nil
		}
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	logger := cfg.NewLogger(os.Stderr)
	stack, err := devstack.Start(ctx, cfg, devstack.Options{PGPort: cfg.DevPGPort, GRPCPort: cfg.DevTemporalPort, UIPort: cfg.DevUIPort}, logger)
	if err != nil {
		return err
	}
	defer stack.Stop()
	stack.App.RatesSchedule = cfg.RatesSchedule
	return stack.Run(ctx, func(i devstack.Info) {
		fmt.Printf(`
Convrelay is running.
  API:              %s
  Console:          %s/console  (sign in with the admin key below; invite people on its Users page)
  Temporal Web UI:  %s
  Temporal gRPC:    %s
  PostgreSQL:       %s
  Demo account:     %s
  Admin key:        %s
  Sample postback:  curl '%s'
  FunnelFlux /pb:   curl '%s'
  Find it in the UI: %s/namespaces/default/workflows?query=TransactionId%%3D%%22T1%%22
  (also written to %s/dev.json; Ctrl-C stops everything)

`, i.APIBase, i.APIBase, i.TemporalUI, i.Temporal, i.DatabaseURL, i.AccountID, i.AdminKey, i.SampleURL, i.SamplePB, i.TemporalUI, cfg.DataDir)
	})
}
