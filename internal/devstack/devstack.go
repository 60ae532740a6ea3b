// Package devstack runs the whole product in one process on embedded defaults:
// a local PostgreSQL under the data dir (unless DATABASE_URL is set), an embedded
// Temporal server with its Web UI (unless TEMPORAL_ADDRESS is set), migrations, a
// demo account, then the worker and the API. It links the Temporal server, so only
// the development main and tests import it, never the production binaries.
package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/app"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/devtemporal"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/pgserver"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/internal/tracing"
	"github.com/convrelay/convrelay/workflows"
)

// Options choose ports; zero values are the documented defaults, and tests pass
// -1 for "any free port".
type Options struct {
	PGPort   int // default 54329
	GRPCPort int // default 7233
	UIPort   int // default 8233; -2 disables the UI
}

// Info is what the stack prints and writes to <data dir>/dev.json for scripts.
type Info struct {
	APIBase     string `json:"api_base"`
	AdminKey    string `json:"admin_key"`
	AccountID   string `json:"account_id"`
	TemporalUI  string `json:"temporal_ui"`
	Temporal    string `json:"temporal_address"`
	DatabaseURL string `json:"database_url"`
	SampleURL   string `json:"sample_postback_url"`
	SamplePB    string `json:"sample_pb_url"`
	// DemoToken and PBToken are the live tokens of the demo and pb integrations
	// (the sample URLs carry them).
	DemoToken string `json:"demo_token"`
	PBToken   string `json:"pb_token"`
}

// Stack is the running development stack.
type Stack struct {
	Info     Info
	App      *app.App
	Store    *store.Store
	Temporal client.Client
	pg       *pgserver.Server
	tsrv     *devtemporal.Server
	logger   *slog.Logger
	ready    chan string
	// stopTracing flushes the trace exporter (a no-op when tracing is off).
	stopTracing func(context.Context) error
}

const (
	demoIntegration = "demo"
	demoClick       = "demo-click"
)

// Start brings everything up to the point where Run serves.
func Start(ctx context.Context, cfg config.Config, opts Options, logger *slog.Logger) (s *Stack, err error) {
	s = &Stack{logger: logger, ready: make(chan string, 1)}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if cfg.DatabaseURL == "" {
		port := opts.PGPort
		switch port {
		case 0:
			port = 54329
		case -1:
			port = 0
		}
		s.pg, err = pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(cfg.DataDir, "pg"), Port: port, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("start PostgreSQL: %w", err)
		}
		if err := s.pg.EnsureDatabase(ctx, "convrelay"); err != nil {
			return nil, err
		}
		cfg.DatabaseURL = s.pg.URL("convrelay")
	}
	temporalAddr := cfg.TemporalAddress
	uiAddr := ""
	if temporalAddr == "" {
		// The SDK's sticky cache is one per process, sized when the first worker
		// starts: here that is the embedded server's own system worker, which
		// would fix it at the SDK's default (10,000) before Convrelay's worker
		// asks for CONVRELAY_WORKFLOW_CACHE_SIZE. Size it first, so the bound
		// holds in the dev stack as it does in `convrelay worker`.
		sdkworker.SetStickyWorkflowCacheSize(cfg.WorkflowCacheSize)
		grpc, ui := opts.GRPCPort, opts.UIPort
		grpc = pick(grpc, devtemporal.DefaultGRPCPort)
		switch ui {
		case -2:
			ui = -1
		default:
			ui = pick(ui, devtemporal.DefaultUIPort)
		}
		topts := devtemporal.Options{
			GRPCPort: grpc, UIPort: ui,
			Namespace: cfg.TemporalNamespace, Retention: max(30*24*time.Hour, cfg.SettleWindow+7*24*time.Hour),
			SearchAttributes: workflows.SearchAttributeNames, Logger: logger,
		}
		// Measured on 2 cores (README, Benchmarks): SQLite in WAL mode and PostgreSQL
		// with 16 history shards complete the same ~45 trivial workflows/s, so the
		// stack keeps Temporal in SQLite under the data dir, the simpler of the two;
		// CONVRELAY_DEV_TEMPORAL_PERSISTENCE=postgres puts it in the local cluster.
		switch cfg.DevTemporalPersistence {
		case "postgres":
			topts.PostgresURL, topts.HistoryShards = cfg.DatabaseURL, 16
		default:
			topts.DataDir = filepath.Join(cfg.DataDir, "temporal")
		}
		s.tsrv, err = devtemporal.Start(ctx, topts)
		if err != nil {
			return nil, fmt.Errorf("start embedded Temporal: %w", err)
		}
		temporalAddr, uiAddr = s.tsrv.FrontendAddress(), s.tsrv.UIAddress()
	}
	if cfg, err = secureDefaults(cfg, logger); err != nil {
		return nil, err
	}
	s.Store, err = store.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return nil, err
	}
	if s.Store.Secrets, err = cfg.Keyring(); err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, s.Store.Pool); err != nil {
		return nil, err
	}
	if _, err := s.Store.SealSecrets(ctx); err != nil {
		return nil, err
	}
	info, err := ensureDemoAccount(ctx, s.Store, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if info.DemoToken, info.PBToken, err = demoTokens(ctx, s.Store, info.AccountID); err != nil {
		return nil, err
	}
	if cfg.DefaultAccount == "" {
		cfg.DefaultAccount = info.AccountID
	}
	if s.stopTracing, err = tracing.Setup(ctx, cfg.OTLPEndpoint, "convrelay-dev"); err != nil {
		return nil, err
	}
	topts, err := cfg.TemporalOptions(temporalAddr, logger)
	if err != nil {
		return nil, err
	}
	m := metrics.New()
	if topts.MetricsHandler, err = m.TemporalHandler(); err != nil {
		return nil, err
	}
	s.Temporal, err = client.DialContext(ctx, topts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", temporalAddr, err)
	}
	info.TemporalUI, info.Temporal = uiAddr, temporalAddr
	if cfg.TemporalUIURL == "" && uiAddr != "" {
		cfg.TemporalUIURL = strings.TrimRight(uiAddr, "/") // console links to workflows
	}
	info.DatabaseURL = cfg.DatabaseURL
	s.Info = info
	s.App = &app.App{Config: cfg, Logger: logger, Store: s.Store, Temporal: s.Temporal, Metrics: m,
		Ready: func(addr string) { s.ready <- addr }}
	return s, nil
}

func pick(port, def int) int {
	switch port {
	case 0:
		return def
	case -1:
		return 0
	}
	return port
}

// Run serves API and worker until ctx ends. announce is called once the API
// answers /readyz (PostgreSQL and Temporal reachable) and a worker polls its task
// queue, with Info completed (API base and sample URLs) and written to dev.json.
func (s *Stack) Run(ctx context.Context, announce func(Info)) error {
	errc := make(chan error, 1)
	go func() { errc <- s.App.Run(ctx, true, true) }()
	select {
	case addr := <-s.ready:
		s.Info.APIBase = "http://" + addr
		s.Info.SampleURL = s.Info.APIBase + "/" + s.Info.AccountID + "/collect/" + demoIntegration +
			"?click_id=" + demoClick + "&transaction_id=T1&commission=4.99&currency=USD&token=" + url.QueryEscape(s.Info.DemoToken)
		s.Info.SamplePB = s.Info.APIBase + "/pb?hit=" + demoClick + "&tx=T2&rev=4.99&status=pending&token=" + url.QueryEscape(s.Info.PBToken)
		if err := writeInfo(s.App.Config.DataDir, s.Info); err != nil {
			s.logger.Warn("could not write dev.json", "error", err)
		}
		if err := s.waitReady(ctx, 60*time.Second); err != nil {
			s.logger.Warn("announcing before everything answered", "error", err)
		}
		if announce != nil {
			announce(s.Info)
		}
	case err := <-errc:
		return err
	}
	return <-errc
}

// Stop closes the client and stops Temporal then PostgreSQL, in that order.
func (s *Stack) Stop() {
	if s.Temporal != nil {
		s.Temporal.Close()
	}
	if s.stopTracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.stopTracing(ctx)
		cancel()
	}
	if s.tsrv != nil {
		if err := s.tsrv.Stop(); err != nil {
			s.logger.Warn("stop embedded Temporal", "error", err)
		}
	}
	if s.Store != nil {
		s.Store.Close()
	}
	if s.pg != nil {
		if err := s.pg.Stop(); err != nil {
			s.logger.Warn("stop PostgreSQL", "error", err)
		}
	}
}

// ensureDemoAccount creates the demo account and its "demo" custom integration on
// the first start, and finds them again (with the same admin key) afterwards.
func ensureDemoAccount(ctx context.Context, st *store.Store, dataDir string) (Info, error) {
	var info Info
	if raw, err := os.ReadFile(filepath.Join(dataDir, "dev.json")); err == nil {
		if json.Unmarshal(raw, &info) == nil && info.AccountID != "" && info.AdminKey != "" {
			if _, err := st.GetAccount(ctx, info.AccountID); err == nil {
				if err := st.AddAPIKey(ctx, info.AccountID, info.AdminKey, "dev"); err != nil {
					return info, err
				}
				return info, nil
			}
		}
	}
	acct, key, err := st.CreateAccount(ctx, store.Account{Name: "Demo", Currency: "USD"})
	if err != nil {
		return info, fmt.Errorf("create demo account: %w", err)
	}
	if _, err := st.CreateIntegration(ctx, store.Integration{AccountID: acct.ID, Slug: demoIntegration, Preset: "custom"}); err != nil &&
		!errors.Is(err, store.ErrConflict) {
		return info, fmt.Errorf("create demo integration: %w", err)
	}
	// A demo campaign and click, so the sample postbacks are attributed.
	payout := decimal.RequireFromString("1.50")
	camp, err := st.CreateCampaign(ctx, store.Campaign{AccountID: acct.ID,
		CampaignSettings: store.CampaignSettings{Name: "Demo offer",
			OfferURL: "https://example.com/offer?clickid={click_id}", DefaultPayout: &payout, TrafficSource: "demo-source"}})
	if err != nil {
		return info, fmt.Errorf("create demo campaign: %w", err)
	}
	if _, err := st.InsertClick(ctx, store.Click{ID: demoClick, AccountID: acct.ID, CampaignID: &camp.ID,
		SourceClick: store.SourceClick{VisitorID: "demo-visitor"}}); err != nil {
		return info, fmt.Errorf("create demo click: %w", err)
	}
	info = Info{AccountID: acct.ID, AdminKey: key}
	return info, writeInfo(dataDir, info)
}

func writeInfo(dataDir string, info Info) error {
	raw, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("encode dev.json: %w", err)
	}
	return os.WriteFile(filepath.Join(dataDir, "dev.json"), append(raw, '\n'), 0o600)
}

// waitReady waits until the API answers /readyz (PostgreSQL and Temporal reachable)
// and a worker polls the task queue, so the ready banner is true when printed.
func (s *Stack) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	for {
		last = s.readyOnce(ctx, client)
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return last
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *Stack) readyOnce(ctx context.Context, client *http.Client) error {
	resp, err := client.Get(s.Info.APIBase + "/readyz")
	if err != nil {
		return fmt.Errorf("API: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("API /readyz answered %d", resp.StatusCode)
	}
	d, err := s.Temporal.DescribeTaskQueue(ctx, s.App.Config.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return fmt.Errorf("describe task queue: %w", err)
	}
	if len(d.GetPollers()) == 0 {
		return fmt.Errorf("no worker polls task queue %s yet", s.App.Config.TaskQueue)
	}
	return nil
}
