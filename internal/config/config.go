// Package config reads Convrelay's settings from the environment: DATABASE_URL,
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, HTTP_ADDR and CONVRELAY_* for the rest.
// Every variable's default and help are written once, in Settings (settings.go).
// A wrong value fails start-up with one line naming the variable.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/convrelay/convrelay/internal/secrets"
)

// Config is the whole product's configuration.
type Config struct {
	DatabaseURL string // DATABASE_URL; empty in dev means "start a local cluster"
	HTTPAddr    string // HTTP_ADDR
	// MetricsAddr serves /metrics and /healthz for a worker-only process
	// (CONVRELAY_METRICS_ADDR; the API serves its own).
	MetricsAddr string

	TemporalAddress   string // TEMPORAL_ADDRESS; empty in dev means "embed a server"
	TemporalNamespace string // TEMPORAL_NAMESPACE
	TemporalAPIKey    string // TEMPORAL_API_KEY (Temporal Cloud)
	TemporalTLSCert   string // TEMPORAL_TLS_CERT: client certificate file (mTLS)
	TemporalTLSKey    string // TEMPORAL_TLS_KEY
	TemporalTLSCA     string // TEMPORAL_TLS_CA: CA bundle for a private server certificate
	TemporalTLSServer string // TEMPORAL_TLS_SERVER_NAME
	TemporalTLS       bool   // TEMPORAL_TLS: TLS without client certificates
	TaskQueue         string // CONVRELAY_TASK_QUEUE
	SettleWindow      time.Duration
	DeliveryWindow    time.Duration
	VisitorSession    time.Duration
	MaxBodyBytes      int64
	PublicURL         string // CONVRELAY_PUBLIC_URL: base of the postback URLs shown to users
	TemporalUIURL     string // CONVRELAY_TEMPORAL_UI_URL: the Temporal Web UI, for links from the console
	OTLPEndpoint      string // CONVRELAY_OTLP_ENDPOINT (else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT): tracing off when empty
	DefaultAccount    string // CONVRELAY_DEFAULT_ACCOUNT: owner of /pb hits that match no click
	TrustedProxies    []string
	DataDir           string // CONVRELAY_DATA_DIR (dev stack)
	LogLevel          string
	LogFormat         string
	DispatchShards    int
	DispatchWindow    int           // CONVRELAY_DISPATCH_WINDOW: postbacks in Temporal not yet applied, at most
	DispatchStale     time.Duration // CONVRELAY_DISPATCH_STALE_AFTER: a dead replica's claims are taken over after this
	ReconcileAfter    time.Duration // CONVRELAY_RECONCILE_AFTER: handed over and not applied after this: handed over again
	WorkerConcurrency int
	WorkflowCacheSize int
	DBMaxConns        int32
	ShutdownTimeout   time.Duration
	// RatesURL is the daily reference rates source in the ECB's XML format
	// (CONVRELAY_RATES_URL; default the ECB's eurofxref-daily.xml).
	RatesURL string
	// RatesSchedule creates the daily rates schedule at worker start
	// (CONVRELAY_RATES_SCHEDULE; tests that run the real binaries turn it off so
	// nothing reaches beyond loopback).
	RatesSchedule bool

	// Ports of the embedded development stack (cmd/convrelay-dev only).
	DevPGPort       int
	DevTemporalPort int
	DevUIPort       int
	// DevTemporalPersistence is "sqlite" (default) or "postgres": where the dev
	// stack's embedded Temporal keeps its data.
	DevTemporalPersistence string

	// SecretKey seals secrets at rest (CONVRELAY_SECRET_KEY, base64 of 32 bytes);
	// SecretKeysOld still open values sealed before a rotation.
	SecretKey     string
	SecretKeysOld []string
	// DestinationAllow are the CIDRs deliveries may reach although the outbound
	// guard refuses them by default (CONVRELAY_DESTINATION_ALLOW).
	DestinationAllow []netip.Prefix
	// Intake rate limits (requests per second and burst), per source address and
	// per account; 0 turns one off.
	RateLimitIPRPS        float64
	RateLimitIPBurst      int
	RateLimitAccountRPS   float64
	RateLimitAccountBurst int
	RetentionPostbackLog  time.Duration // CONVRELAY_RETENTION_POSTBACK_LOG
	RetentionClicks       time.Duration // CONVRELAY_RETENTION_CLICKS
	RetentionDeliveries   time.Duration // CONVRELAY_RETENTION_DELIVERIES
	RetentionAuditLog     time.Duration // CONVRELAY_RETENTION_AUDIT_LOG
	RetentionBatchSize    int
	RetentionSchedule     string // cron spec of the retention schedule

	// RetentionConversionPersonal: how long after its last change a conversion
	// keeps its personal data (the stored postback's identity, traits and
	// parameters, click id, subs); the conversion itself is kept.
	RetentionConversionPersonal time.Duration // CONVRELAY_RETENTION_CONVERSION_PERSONAL

	// RefusedLogPerMinute bounds the refused requests stored per account per
	// minute (the rest are only counted; 0 keeps intake's default).
	RefusedLogPerMinute int // CONVRELAY_REFUSED_LOG_PER_MINUTE
	// Click redirect rate limits (requests per second and burst), per source
	// address and per campaign; 0 turns one off.
	RateLimitClickIPRPS         float64 // CONVRELAY_RATE_LIMIT_CLICK_IP_RPS
	RateLimitClickIPBurst       int     // CONVRELAY_RATE_LIMIT_CLICK_IP_BURST
	RateLimitClickCampaignRPS   float64 // CONVRELAY_RATE_LIMIT_CLICK_CAMPAIGN_RPS
	RateLimitClickCampaignBurst int     // CONVRELAY_RATE_LIMIT_CLICK_CAMPAIGN_BURST
	// SMTP mails invitation links when SMTP.Addr is set; unset, the link is
	// only shown (console, API answer, CLI).
	SMTP SMTP
}

// SMTP is the optional mail server for invitations (CONVRELAY_SMTP_*).
type SMTP struct {
	Addr     string // CONVRELAY_SMTP_ADDR: host:port (587 with STARTTLS, or 25)
	From     string // CONVRELAY_SMTP_FROM: the sender address
	Username string // CONVRELAY_SMTP_USERNAME: PLAIN auth (only over TLS or to localhost)
	Password string // CONVRELAY_SMTP_PASSWORD
}

// FromEnv reads the configuration; defaults suit a local installation.
func FromEnv() (Config, error) {
	return fromLookup(os.LookupEnv)
}

func fromLookup(lookup func(string) (string, bool)) (Config, error) {
	r := reader{lookup: lookup}
	c := Config{
		DatabaseURL:            r.str("DATABASE_URL"),
		HTTPAddr:               r.str("HTTP_ADDR"),
		MetricsAddr:            r.str("CONVRELAY_METRICS_ADDR"),
		TemporalAddress:        r.str("TEMPORAL_ADDRESS"),
		TemporalNamespace:      r.str("TEMPORAL_NAMESPACE"),
		TemporalAPIKey:         r.str("TEMPORAL_API_KEY"),
		TemporalTLSCert:        r.str("TEMPORAL_TLS_CERT"),
		TemporalTLSKey:         r.str("TEMPORAL_TLS_KEY"),
		TemporalTLSCA:          r.str("TEMPORAL_TLS_CA"),
		TemporalTLSServer:      r.str("TEMPORAL_TLS_SERVER_NAME"),
		TemporalTLS:            r.boolean("TEMPORAL_TLS"),
		TaskQueue:              r.str("CONVRELAY_TASK_QUEUE"),
		SettleWindow:           r.duration("CONVRELAY_SETTLE_WINDOW"),
		DeliveryWindow:         r.duration("CONVRELAY_DELIVERY_RETRY_WINDOW"),
		VisitorSession:         r.duration("CONVRELAY_VISITOR_SESSION"),
		MaxBodyBytes:           int64(r.integer("CONVRELAY_MAX_BODY_BYTES")),
		PublicURL:              r.str("CONVRELAY_PUBLIC_URL"),
		TemporalUIURL:          strings.TrimRight(r.str("CONVRELAY_TEMPORAL_UI_URL"), "/"),
		OTLPEndpoint:           r.first("CONVRELAY_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"),
		DefaultAccount:         r.str("CONVRELAY_DEFAULT_ACCOUNT"),
		TrustedProxies:         r.list("CONVRELAY_TRUSTED_PROXIES"),
		DataDir:                r.str("CONVRELAY_DATA_DIR"),
		LogLevel:               r.str("CONVRELAY_LOG_LEVEL"),
		LogFormat:              r.str("CONVRELAY_LOG_FORMAT"),
		DispatchShards:         r.integer("CONVRELAY_DISPATCH_SHARDS"),
		DispatchWindow:         r.integer("CONVRELAY_DISPATCH_WINDOW"),
		DispatchStale:          r.duration("CONVRELAY_DISPATCH_STALE_AFTER"),
		ReconcileAfter:         r.duration("CONVRELAY_RECONCILE_AFTER"),
		WorkerConcurrency:      r.integer("CONVRELAY_WORKER_CONCURRENCY"),
		WorkflowCacheSize:      r.integer("CONVRELAY_WORKFLOW_CACHE_SIZE"),
		DBMaxConns:             int32(r.integer("CONVRELAY_DB_MAX_CONNS")),
		ShutdownTimeout:        r.duration("CONVRELAY_SHUTDOWN_TIMEOUT"),
		RatesURL:               r.str("CONVRELAY_RATES_URL"),
		RatesSchedule:          r.boolean("CONVRELAY_RATES_SCHEDULE"),
		DevPGPort:              r.integer("CONVRELAY_DEV_PG_PORT"),
		DevTemporalPort:        r.integer("CONVRELAY_DEV_TEMPORAL_PORT"),
		DevUIPort:              r.integer("CONVRELAY_DEV_UI_PORT"),
		DevTemporalPersistence: r.str("CONVRELAY_DEV_TEMPORAL_PERSISTENCE"),
		SecretKey:              r.str("CONVRELAY_SECRET_KEY"),
		SecretKeysOld:          r.list("CONVRELAY_SECRET_KEY_OLD"),
		DestinationAllow:       r.prefixes("CONVRELAY_DESTINATION_ALLOW"),
		RateLimitIPRPS:         r.float("CONVRELAY_RATE_LIMIT_IP_RPS"),
		RateLimitIPBurst:       r.integer("CONVRELAY_RATE_LIMIT_IP_BURST"),
		RateLimitAccountRPS:    r.float("CONVRELAY_RATE_LIMIT_ACCOUNT_RPS"),
		RateLimitAccountBurst:  r.integer("CONVRELAY_RATE_LIMIT_ACCOUNT_BURST"),
		RetentionPostbackLog:   r.duration("CONVRELAY_RETENTION_POSTBACK_LOG"),
		RetentionClicks:        r.duration("CONVRELAY_RETENTION_CLICKS"),
		RetentionDeliveries:    r.duration("CONVRELAY_RETENTION_DELIVERIES"),
		RetentionAuditLog:      r.duration("CONVRELAY_RETENTION_AUDIT_LOG"),
		RetentionBatchSize:     r.integer("CONVRELAY_RETENTION_BATCH"),
		RetentionSchedule:      r.str("CONVRELAY_RETENTION_SCHEDULE"),
	}
	c.RetentionConversionPersonal = r.duration("CONVRELAY_RETENTION_CONVERSION_PERSONAL")
	c.RefusedLogPerMinute = r.integer("CONVRELAY_REFUSED_LOG_PER_MINUTE")
	c.RateLimitClickIPRPS = r.float("CONVRELAY_RATE_LIMIT_CLICK_IP_RPS")
	c.RateLimitClickIPBurst = r.integer("CONVRELAY_RATE_LIMIT_CLICK_IP_BURST")
	c.RateLimitClickCampaignRPS = r.float("CONVRELAY_RATE_LIMIT_CLICK_CAMPAIGN_RPS")
	c.RateLimitClickCampaignBurst = r.integer("CONVRELAY_RATE_LIMIT_CLICK_CAMPAIGN_BURST")
	c.SMTP = SMTP{Addr: r.str("CONVRELAY_SMTP_ADDR"), From: r.str("CONVRELAY_SMTP_FROM"),
		Username: r.str("CONVRELAY_SMTP_USERNAME"), Password: r.str("CONVRELAY_SMTP_PASSWORD")}
	if r.err != nil {
		return Config{}, r.err
	}
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.HTTPAddr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c, nil
}

func (c Config) validate() error {
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("HTTP_ADDR %q is not host:port", c.HTTPAddr)
	}
	if c.TemporalAddress != "" {
		if _, _, err := net.SplitHostPort(c.TemporalAddress); err != nil {
			return fmt.Errorf("TEMPORAL_ADDRESS %q is not host:port", c.TemporalAddress)
		}
	}
	if (c.TemporalTLSCert == "") != (c.TemporalTLSKey == "") {
		return errors.New("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together")
	}
	if c.MaxBodyBytes <= 0 {
		return errors.New("CONVRELAY_MAX_BODY_BYTES must be positive")
	}
	if c.DispatchShards <= 0 || c.WorkerConcurrency <= 0 || c.DBMaxConns <= 0 || c.WorkflowCacheSize <= 0 || c.DispatchWindow <= 0 {
		return errors.New("CONVRELAY_DISPATCH_SHARDS, CONVRELAY_DISPATCH_WINDOW, CONVRELAY_WORKER_CONCURRENCY, CONVRELAY_WORKFLOW_CACHE_SIZE and CONVRELAY_DB_MAX_CONNS must be positive")
	}
	if c.DispatchStale <= 0 || c.ReconcileAfter <= 0 {
		return errors.New("CONVRELAY_DISPATCH_STALE_AFTER and CONVRELAY_RECONCILE_AFTER must be positive durations")
	}
	if c.RateLimitIPRPS < 0 || c.RateLimitAccountRPS < 0 || c.RateLimitIPBurst < 0 || c.RateLimitAccountBurst < 0 ||
		c.RateLimitClickIPRPS < 0 || c.RateLimitClickCampaignRPS < 0 || c.RefusedLogPerMinute < 0 {
		return errors.New("CONVRELAY_RATE_LIMIT_* must not be negative (0 turns a limit off)")
	}
	if c.RetentionBatchSize <= 0 {
		return errors.New("CONVRELAY_RETENTION_BATCH must be positive")
	}
	if c.SMTP.Addr != "" {
		if _, _, err := net.SplitHostPort(c.SMTP.Addr); err != nil {
			return fmt.Errorf("CONVRELAY_SMTP_ADDR %q is not host:port", c.SMTP.Addr)
		}
		if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
			return errors.New("CONVRELAY_SMTP_FROM must be an address such as convrelay@example.com when CONVRELAY_SMTP_ADDR is set")
		}
	}
	switch c.DevTemporalPersistence {
	case "postgres", "sqlite":
	default:
		return fmt.Errorf("CONVRELAY_DEV_TEMPORAL_PERSISTENCE %q must be postgres or sqlite", c.DevTemporalPersistence)
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		return fmt.Errorf("CONVRELAY_LOG_FORMAT %q must be json or text", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("CONVRELAY_LOG_LEVEL %q must be debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// reader reads variables and their defaults (Settings), keeping the first error.
type reader struct {
	lookup func(string) (string, bool)
	err    error
}

// str is the variable's value, trimmed, else its default from Settings. A name
// Settings lacks is an error: every default is written there.
func (r *reader) str(name string) string {
	if v, ok := r.lookup(name); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	s, ok := Lookup(name)
	if !ok && r.err == nil {
		r.err = fmt.Errorf("config: %s is read but has no line in Settings", name)
	}
	return s.Default
}

// first is the first of names that is set (or has a default).
func (r *reader) first(names ...string) string {
	for _, n := range names {
		if v := r.str(n); v != "" {
			return v
		}
	}
	return ""
}

func (r *reader) fail(name, v, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s=%q: want %s", name, v, want)
	}
}

func (r *reader) integer(name string) int {
	v := r.str(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, v, "a whole number")
	}
	return n
}

func (r *reader) boolean(name string) bool {
	v := r.str(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, v, "true or false")
	}
	return b
}

// duration accepts Go durations (90s, 36h) and whole days (45d).
func (r *reader) duration(name string) time.Duration {
	v := r.str(name)
	if v == "" {
		return 0
	}
	d, err := ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, v, "a positive duration like 90s, 36h or 45d")
	}
	return d
}

func (r *reader) list(name string) []string {
	v := r.str(name)
	if v == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (r *reader) float(name string) float64 {
	v := r.str(name)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		r.fail(name, v, "a number, 0 or more")
	}
	return f
}

// prefixes reads comma-separated CIDRs; a bare address means just that address.
func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range r.list(name) {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				r.fail(name, v, "comma-separated CIDRs like 10.1.2.0/24 or 127.0.0.1/32")
				return nil
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

// ParseDuration is time.ParseDuration plus a whole-days form ("45d").
func ParseDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("parse days %q: %w", v, err)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

// Keyring builds the keyring that seals secrets at rest from CONVRELAY_SECRET_KEY
// and CONVRELAY_SECRET_KEY_OLD.
func (c Config) Keyring() (*secrets.Keyring, error) {
	if c.SecretKey == "" {
		return nil, errors.New("CONVRELAY_SECRET_KEY is not set: destination credentials and integration tokens are encrypted with it; " +
			"generate one with `openssl rand -base64 32` and keep it safe (`make run` makes its own under .data)")
	}
	return secrets.New(c.SecretKey, c.SecretKeysOld...)
}
