package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/convrelay/convrelay/internal/config"
)

// command is one subcommand: what it does and the variables it reads.
type command struct {
	name, args, summary string
	env                 []string
}

// Variables every command that reaches the database or Temporal reads.
var (
	// CONVRELAY_SECRET_KEY seals and opens the secrets stored in the database
	// (integration tokens, destination credentials): every command that reads
	// or writes them needs it, and a production start refuses to run without it.
	dbEnv       = []string{"DATABASE_URL", "CONVRELAY_SECRET_KEY", "CONVRELAY_SECRET_KEY_OLD", "CONVRELAY_DB_MAX_CONNS", "CONVRELAY_LOG_LEVEL", "CONVRELAY_LOG_FORMAT"}
	temporalEnv = []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY",
		"TEMPORAL_TLS_CA", "TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_TLS", "CONVRELAY_TASK_QUEUE"}
	apiEnv = []string{"HTTP_ADDR", "CONVRELAY_PUBLIC_URL", "CONVRELAY_DEFAULT_ACCOUNT", "CONVRELAY_MAX_BODY_BYTES",
		"CONVRELAY_TRUSTED_PROXIES", "CONVRELAY_DISPATCH_SHARDS", "CONVRELAY_DISPATCH_WINDOW", "CONVRELAY_DISPATCH_STALE_AFTER",
		"CONVRELAY_RECONCILE_AFTER", "CONVRELAY_SETTLE_WINDOW", "CONVRELAY_DELIVERY_RETRY_WINDOW", "CONVRELAY_SHUTDOWN_TIMEOUT"}
	workerEnv = []string{"CONVRELAY_WORKER_CONCURRENCY", "CONVRELAY_WORKFLOW_CACHE_SIZE", "CONVRELAY_VISITOR_SESSION",
		"CONVRELAY_METRICS_ADDR", "CONVRELAY_SETTLE_WINDOW", "CONVRELAY_DELIVERY_RETRY_WINDOW"}
	// Read by api and worker alike: tracing, and the outbound guard (deliveries,
	// and the admin API's test deliveries).
	serveEnv = []string{"CONVRELAY_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT",
		"CONVRELAY_DESTINATION_ALLOW"}
	apiLimitsEnv = []string{"CONVRELAY_TEMPORAL_UI_URL", "CONVRELAY_RATE_LIMIT_IP_RPS", "CONVRELAY_RATE_LIMIT_IP_BURST",
		"CONVRELAY_RATE_LIMIT_ACCOUNT_RPS", "CONVRELAY_RATE_LIMIT_ACCOUNT_BURST", "CONVRELAY_REFUSED_LOG_PER_MINUTE",
		"CONVRELAY_RATE_LIMIT_CLICK_IP_RPS", "CONVRELAY_RATE_LIMIT_CLICK_IP_BURST", "CONVRELAY_RATE_LIMIT_CLICK_CAMPAIGN_RPS",
		"CONVRELAY_RATE_LIMIT_CLICK_CAMPAIGN_BURST"}
	workerJobsEnv = []string{"CONVRELAY_RATES_URL", "CONVRELAY_RATES_SCHEDULE", "CONVRELAY_RETENTION_POSTBACK_LOG",
		"CONVRELAY_RETENTION_CLICKS", "CONVRELAY_RETENTION_DELIVERIES", "CONVRELAY_RETENTION_AUDIT_LOG",
		"CONVRELAY_RETENTION_CONVERSION_PERSONAL", "CONVRELAY_RETENTION_BATCH", "CONVRELAY_RETENTION_SCHEDULE"}
	// Invitation mails: read where invitations are made (the API and the CLI).
	smtpEnv = []string{"CONVRELAY_SMTP_ADDR", "CONVRELAY_SMTP_FROM", "CONVRELAY_SMTP_USERNAME", "CONVRELAY_SMTP_PASSWORD"}
)

func commands() []command {
	join := func(lists ...[]string) []string {
		seen := map[string]bool{}
		var out []string
		for _, l := range lists {
			for _, v := range l {
				if !seen[v] {
					seen[v] = true
					out = append(out, v)
				}
			}
		}
		return out
	}
	return []command{
		{"migrate", "", "apply the database migrations not yet applied", dbEnv},
		{"api", "", "serve the intake, click redirect, admin API and /metrics, and hand postbacks to Temporal", join(dbEnv, temporalEnv, apiEnv, apiLimitsEnv, serveEnv, smtpEnv)},
		{"worker", "", "run the Temporal worker (conversion workflows and deliveries)", join(dbEnv, temporalEnv, workerEnv, workerJobsEnv, serveEnv)},
		{"all", "", "api and worker in one process", join(dbEnv, temporalEnv, apiEnv, apiLimitsEnv, workerEnv, workerJobsEnv, serveEnv, smtpEnv)},
		{"create-account", "NAME", "create an account (with its pb integration) and print its id and admin key", dbEnv},
		{"invite-user", "ACCOUNT EMAIL [ROLE]", "invite a person to an account (role owner, admin, buyer or viewer; default owner) and print the one-time sign-up link", join(dbEnv, []string{"CONVRELAY_PUBLIC_URL"}, smtpEnv)},
		{"version", "", "print the version", nil},
		{"help", "[COMMAND]", "print this help, or a command's", nil},
	}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Convrelay: self-hosted conversion postback processor (production binary; `make run` is the dev stack).")
	fmt.Fprintln(w, "\nUsage: convrelay COMMAND [ARGS]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-26s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintln(w, "\n`convrelay COMMAND --help` lists the environment variables a command reads.")
}

// printCommandHelp prints a command's usage and, from config.Settings, each
// variable it reads with its default and help.
func printCommandHelp(w io.Writer, c command) {
	fmt.Fprintf(w, "Usage: convrelay %s\n\n%s.\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	if len(c.env) > 0 {
		fmt.Fprintln(w, "\nEnvironment variables it reads:")
		for _, v := range c.env {
			s, _ := config.Lookup(v)
			line := fmt.Sprintf("  %-40s %s", v, s.Help)
			if s.Default != "" {
				line += " (default " + s.Default + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
}
