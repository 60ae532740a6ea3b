// Command convrelay runs Convrelay in production against an existing PostgreSQL
// (DATABASE_URL) and Temporal (TEMPORAL_ADDRESS):
//
//	convrelay migrate   apply database migrations
//	convrelay api       serve the intake, click redirect and admin API (and dispatch to Temporal)
//	convrelay worker    run the Temporal worker (workflows and deliveries)
//	convrelay all       api and worker in one process
//	convrelay create-account NAME   create an account and print its admin key
//	convrelay invite-user ACCOUNT EMAIL [ROLE]   invite a person (default owner) and print the one-time link
//	convrelay version | help [COMMAND] | COMMAND --help
//
// It does not link the Temporal server: the embedded development stack is
// cmd/convrelay-dev.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/app"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/internal/tracing"
	"github.com/convrelay/convrelay/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := realMain(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "convrelay:", err)
		os.Exit(1)
	}
}

const usage = "usage: convrelay migrate|api|worker|all|create-account NAME|invite-user ACCOUNT EMAIL [ROLE]|version|help"

func realMain(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		printUsage(out)
		return errors.New(usage)
	}
	// Help and version need no configuration.
	switch args[0] {
	case "help", "-h", "--help", "-help":
		if len(args) > 1 {
			if c, ok := findCommand(args[1]); ok {
				printCommandHelp(out, c)
				return nil
			}
		}
		printUsage(out)
		return nil
	case "version", "--version", "-version":
		fmt.Fprintln(out, version.String())
		return nil
	}
	c, known := findCommand(args[0])
	if !known {
		return fmt.Errorf("unknown command %q; %s", args[0], usage)
	}
	for _, a := range args[1:] {
		if a == "-h" || a == "--help" || a == "-help" {
			printCommandHelp(out, c)
			return nil
		}
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set (for a local stack with everything embedded, run `make run`)")
	}
	logger := cfg.NewLogger(os.Stderr)
	// Secrets are encrypted at rest: without a key nothing starts, rather than
	// writing credentials in clear or failing at the first delivery.
	keyring, err := cfg.Keyring()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer st.Close()
	st.Secrets = keyring

	switch args[0] {
	case "migrate":
		if err := store.Migrate(ctx, st.Pool); err != nil {
			return err
		}
		n, err := st.SealSecrets(ctx)
		if err != nil {
			return err
		}
		logger.Info("migrations applied", "secrets_sealed", n, "key_id", keyring.KeyID())
		return nil
	case "create-account":
		if len(args) < 2 {
			return errors.New(usage)
		}
		a, key, err := st.CreateAccount(ctx, store.Account{Name: args[1]})
		if err != nil {
			return err
		}
		pb, err := st.GetIntegration(ctx, a.ID, "pb")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "account_id=%s\nadmin_key=%s\npb_url=%s/%s/pb?token=%s\n", a.ID, key, cfg.PublicURL, a.ID, pb.Tokens[0].Secret)
		return nil
	case "invite-user":
		if len(args) < 3 {
			return errors.New(usage)
		}
		role := admin.RoleOwner
		if len(args) > 3 {
			role = args[3]
		}
		// The command line acts as the installation: its invitations are
		// audited as "system".
		svc := &admin.Service{Store: st, Config: cfg, Logger: logger}
		inv, err := svc.InviteUser(admin.WithPrincipal(ctx, admin.Principal{Account: args[1], Role: admin.RoleOwner}), args[1],
			admin.InviteRequest{Email: args[2], Role: role})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "user_id=%d\nrole=%s\ninvite_link=%s\nexpires_at=%s\n", inv.User.ID, inv.User.Role,
			admin.InviteLink(cfg.PublicURL, inv.Token), inv.User.InviteExpiresAt.UTC().Format("2006-01-02T15:04:05Z"))
		if inv.Mailed { // CONVRELAY_SMTP_* set and the server took the mail
			fmt.Fprintln(out, "invite_mailed=true")
		}
		return nil
	case "api", "worker", "all":
	default:
		return fmt.Errorf("unknown command %q; %s", args[0], usage)
	}
	// Values written in clear before encryption, or under an older key, are
	// sealed under the current key before anything reads them.
	if n, err := st.SealSecrets(ctx); err != nil {
		return err
	} else if n > 0 {
		logger.Info("secrets sealed under the current key", "count", n, "key_id", keyring.KeyID())
	}
	address := cfg.TemporalAddress
	if address == "" {
		address = "127.0.0.1:7233"
	}
	stopTracing, err := tracing.Setup(ctx, cfg.OTLPEndpoint, "convrelay-"+args[0])
	if err != nil {
		return err
	}
	defer func() { _ = stopTracing(context.WithoutCancel(ctx)) }()
	opts, err := cfg.TemporalOptions(address, logger)
	if err != nil {
		return err
	}
	m := metrics.New()
	if opts.MetricsHandler, err = m.TemporalHandler(); err != nil {
		return err
	}
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", address, err)
	}
	defer tc.Close()
	a := &app.App{Config: cfg, Logger: logger, Store: st, Temporal: tc, Metrics: m, RatesSchedule: cfg.RatesSchedule}
	return a.Run(ctx, args[0] != "worker", args[0] != "api")
}
