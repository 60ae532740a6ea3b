package config

// Setting is one environment variable the configuration reads: its name, its
// default written as a value of the variable would be ("" when it has none),
// and one line of help for `convrelay COMMAND --help`.
type Setting struct {
	Name    string
	Default string
	Help    string
}

// Settings is every variable the configuration reads, one line each: the one
// place a default is written. fromLookup parses a default exactly as it parses
// the variable, and the command's --help prints both.
var Settings = []Setting{
	{"DATABASE_URL", "", "PostgreSQL connection string (convrelay-dev: a local cluster when empty)"},
	{"HTTP_ADDR", "127.0.0.1:8080", "API listen address (host:port)"},
	{"CONVRELAY_METRICS_ADDR", "", "/metrics and /healthz for a worker-only process"},
	{"TEMPORAL_ADDRESS", "", "Temporal frontend host:port (convrelay-dev: an embedded server when empty)"},
	{"TEMPORAL_NAMESPACE", "default", "Temporal namespace"},
	{"TEMPORAL_API_KEY", "", "API key for Temporal Cloud (enables TLS)"},
	{"TEMPORAL_TLS_CERT", "", "client certificate file for mTLS (with TEMPORAL_TLS_KEY)"},
	{"TEMPORAL_TLS_KEY", "", "client key file for mTLS (with TEMPORAL_TLS_CERT)"},
	{"TEMPORAL_TLS_CA", "", "CA bundle for a private server certificate"},
	{"TEMPORAL_TLS_SERVER_NAME", "", "server name the Temporal certificate is checked against"},
	{"TEMPORAL_TLS", "false", "TLS to Temporal without a client certificate"},
	{"CONVRELAY_TASK_QUEUE", "convrelay", "Temporal task queue"},
	{"CONVRELAY_SETTLE_WINDOW", "45d", "how long a transaction's workflow stays open for status changes"},
	{"CONVRELAY_DELIVERY_RETRY_WINDOW", "24h", "how long a delivery is retried"},
	{"CONVRELAY_VISITOR_SESSION", "4d", "visitor session for vid + p attribution (slides with each hit)"},
	{"CONVRELAY_MAX_BODY_BYTES", "65536", "largest postback body (413 above)"},
	{"CONVRELAY_PUBLIC_URL", "", "base of the postback URLs and tracking links shown to users (empty: http://$HTTP_ADDR)"},
	{"CONVRELAY_TEMPORAL_UI_URL", "", "the Temporal Web UI, for the console's links to workflows"},
	{"CONVRELAY_OTLP_ENDPOINT", "", "OpenTelemetry traces over OTLP/gRPC (empty: the OTEL_EXPORTER_OTLP_* variables; tracing off when all are empty)"},
	{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", "read when CONVRELAY_OTLP_ENDPOINT is empty"},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "", "read when the two above are empty"},
	{"CONVRELAY_DEFAULT_ACCOUNT", "", "owner of /pb hits that match no click"},
	{"CONVRELAY_TRUSTED_PROXIES", "", "comma-separated proxies whose X-Forwarded-For is believed"},
	{"CONVRELAY_DATA_DIR", ".data", "dev stack data (PostgreSQL cluster, Temporal SQLite, dev.json)"},
	{"CONVRELAY_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"CONVRELAY_LOG_FORMAT", "json", "json or text"},
	{"CONVRELAY_DISPATCH_SHARDS", "16", "parallel lanes handing postbacks to Temporal (one transaction, one lane)"},
	{"CONVRELAY_DISPATCH_WINDOW", "32", "postbacks handed to Temporal and not yet applied, at most"},
	{"CONVRELAY_DISPATCH_STALE_AFTER", "1m", "a claim this old (its replica died) is taken over by another replica"},
	{"CONVRELAY_RECONCILE_AFTER", "10m", "handed over this long ago and not applied: handed over again"},
	{"CONVRELAY_WORKER_CONCURRENCY", "200", "activities and workflow tasks in flight per worker"},
	{"CONVRELAY_WORKFLOW_CACHE_SIZE", "2000", "open workflows a worker keeps in memory between postbacks"},
	{"CONVRELAY_DB_MAX_CONNS", "40", "PostgreSQL pool size"},
	{"CONVRELAY_SHUTDOWN_TIMEOUT", "20s", "time to finish requests in flight on SIGTERM"},
	{"CONVRELAY_RATES_URL", "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml", "daily reference rates in the ECB's XML format"},
	{"CONVRELAY_RATES_SCHEDULE", "true", "the worker creates the daily rates schedule"},
	{"CONVRELAY_DEV_PG_PORT", "54329", "dev stack PostgreSQL port"},
	{"CONVRELAY_DEV_TEMPORAL_PORT", "7233", "dev stack Temporal port"},
	{"CONVRELAY_DEV_UI_PORT", "8233", "dev stack Temporal Web UI port (-2 disables the UI)"},
	{"CONVRELAY_DEV_TEMPORAL_PERSISTENCE", "sqlite", "where the dev stack's Temporal keeps its data: sqlite or postgres"},
	{"CONVRELAY_SECRET_KEY", "", "required in production: base64 of 32 random bytes (openssl rand -base64 32); encrypts secrets at rest"},
	{"CONVRELAY_SECRET_KEY_OLD", "", "comma-separated previous keys, still read after a rotation"},
	{"CONVRELAY_DESTINATION_ALLOW", "", "comma-separated CIDRs deliveries may reach although the outbound guard refuses them"},
	{"CONVRELAY_RATE_LIMIT_IP_RPS", "1000", "intake requests per second per source address (0: off)"},
	{"CONVRELAY_RATE_LIMIT_IP_BURST", "2000", "burst of the per-address limit"},
	{"CONVRELAY_RATE_LIMIT_ACCOUNT_RPS", "5000", "intake requests per second per account (0: off)"},
	{"CONVRELAY_RATE_LIMIT_ACCOUNT_BURST", "10000", "burst of the per-account limit"},
	{"CONVRELAY_REFUSED_LOG_PER_MINUTE", "20", "refused requests stored (as 1 KiB samples) per account per minute; the rest are only counted"},
	{"CONVRELAY_RATE_LIMIT_CLICK_IP_RPS", "20", "click redirects per second per source address, IPv6 by /64 (0: off)"},
	{"CONVRELAY_RATE_LIMIT_CLICK_IP_BURST", "100", "burst of the per-address click limit"},
	{"CONVRELAY_RATE_LIMIT_CLICK_CAMPAIGN_RPS", "500", "click redirects per second per campaign (0: off)"},
	{"CONVRELAY_RATE_LIMIT_CLICK_CAMPAIGN_BURST", "2000", "burst of the per-campaign click limit"},
	{"CONVRELAY_RETENTION_POSTBACK_LOG", "90d", "how long the postback log is kept"},
	{"CONVRELAY_RETENTION_CLICKS", "180d", "how long clicks are kept"},
	{"CONVRELAY_RETENTION_DELIVERIES", "180d", "how long finished deliveries and their last answer are kept"},
	{"CONVRELAY_RETENTION_AUDIT_LOG", "400d", "how long audit log entries are kept"},
	{"CONVRELAY_RETENTION_CONVERSION_PERSONAL", "180d", "how long after its last change a conversion keeps its personal data"},
	{"CONVRELAY_RETENTION_BATCH", "1000", "rows the retention job deletes per statement"},
	{"CONVRELAY_RETENTION_SCHEDULE", "17 3 * * *", "cron spec of the retention schedule (UTC)"},
	{"CONVRELAY_SMTP_ADDR", "", "mail server host:port for invitation links (empty: links are only shown)"},
	{"CONVRELAY_SMTP_FROM", "", "sender address of invitation mails (required with CONVRELAY_SMTP_ADDR)"},
	{"CONVRELAY_SMTP_USERNAME", "", "SMTP PLAIN auth user (only over TLS or to localhost)"},
	{"CONVRELAY_SMTP_PASSWORD", "", "SMTP PLAIN auth password"},
}

// Lookup finds a variable's setting.
func Lookup(name string) (Setting, bool) {
	for _, s := range Settings {
		if s.Name == name {
			return s, true
		}
	}
	return Setting{}, false
}
