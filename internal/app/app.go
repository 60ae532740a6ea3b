// Package app assembles the running product from its parts: the HTTP API with its
// dispatcher, and the Temporal worker. The production mains and the embedded
// development stack both start it the same way.
package app

import (
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/convrelay/convrelay/internal/accountcache"
	"github.com/convrelay/convrelay/internal/tracing"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/api"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/dispatch"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/worker"
	"github.com/convrelay/convrelay/workflows"
)

// App holds what the API and the worker share.
type App struct {
	Config   config.Config
	Logger   *slog.Logger
	Store    *store.Store
	Temporal client.Client
	Metrics  *metrics.Metrics
	// HTTPClient sends deliveries; nil means a default with a 30 s timeout.
	HTTPClient *http.Client
	// Ready, when set, receives the API's listening address once it serves.
	Ready func(addr string)
	// RatesSchedule makes the worker create the daily reference-rates schedule
	// (the mains set it; test stacks leave it off so nothing fetches from outside).
	RatesSchedule bool

	accounts *accountcache.Reader
}

// Run serves the API (with its dispatcher) and/or the worker until ctx ends, then
// stops them gracefully: the API stops taking requests and finishes those in
// flight, the dispatcher releases what it had not handed over, the worker finishes
// its tasks.
func (a *App) Run(ctx context.Context, withAPI, withWorker bool) error {
	if a.Metrics == nil {
		a.Metrics = metrics.New()
	}
	// One account reader for the process: intake, dispatch and activities see a
	// settings change at the same time.
	a.accounts = accountcache.New(a.Store, 0)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	if withWorker {
		run("worker", a.runWorker)
		if !withAPI && a.Config.MetricsAddr != "" {
			run("metrics", a.serveMetrics)
		}
	}
	if withAPI {
		d := dispatch.New(a.Store, a.Temporal, dispatch.Options{
			TaskQueue: a.Config.TaskQueue, SettleWindow: a.Config.SettleWindow, DeliveryWindow: a.Config.DeliveryWindow,
			Shards: a.Config.DispatchShards, Window: a.Config.DispatchWindow, StaleAfter: a.Config.DispatchStale,
			ReconcileAfter: a.Config.ReconcileAfter, Logger: a.Logger, Accounts: a.accounts,
			OnDispatched: func(age time.Duration) { a.Metrics.DispatchSeconds.Observe(age.Seconds()) },
		})
		a.Metrics.RegisterBacklog(a.Store)
		run("dispatcher", d.Run)
		run("report counts", a.foldReportCounts)
		run("api", func(ctx context.Context) error { return a.serveHTTP(ctx, d) })
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

func (a *App) serveHTTP(ctx context.Context, d *dispatch.Dispatcher) error {
	handler := api.NewHandler(api.Deps{Store: a.Store, Temporal: a.Temporal, Dispatcher: d, Config: a.Config, Logger: a.Logger, Metrics: a.Metrics,
		Accounts: a.accounts, Sender: &destinations.Sender{Client: a.HTTPClient, Guard: destinations.Guard{Allow: a.Config.DestinationAllow}}})
	if tracing.Enabled {
		// Each request is a span; the intake keeps its traceparent with the postback.
		handler = otelhttp.NewHandler(handler, "convrelay-api", otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return r.Method + " " + r.URL.Path
		}))
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	ln, err := net.Listen("tcp", a.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on HTTP_ADDR %s: %w", a.Config.HTTPAddr, err)
	}
	if a.Ready != nil {
		a.Ready(ln.Addr().String())
	}
	a.Logger.Info("API listening", "addr", ln.Addr().String())
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve HTTP: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.Config.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down HTTP: %w", err)
	}
	a.Logger.Info("API stopped")
	return nil
}

func (a *App) runWorker(ctx context.Context) error {
	httpClient := a.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	acts := &activities.Activities{
		Store:          a.Store,
		Sender:         &destinations.Sender{Client: httpClient, Guard: destinations.Guard{Allow: a.Config.DestinationAllow}},
		Logger:         a.Logger,
		VisitorSession: a.Config.VisitorSession,
		Metrics:        a.Metrics,
		Accounts:       a.accounts,
	}
	rates := &activities.Rates{Store: a.Store, Client: httpClient, URL: a.Config.RatesURL, Logger: a.Logger}
	w := worker.New(a.Temporal, acts, worker.Options{TaskQueue: a.Config.TaskQueue, MaxConcurrent: a.Config.WorkerConcurrency,
		CacheSize: a.Config.WorkflowCacheSize, Rates: rates})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	go a.ensureRetentionSchedule(ctx)
	if a.RatesSchedule {
		if err := worker.EnsureRatesSchedule(ctx, a.Temporal, a.Config.TaskQueue); err != nil {
			return err
		}
	}
	a.Logger.Info("worker started", "task_queue", a.Config.TaskQueue)
	<-ctx.Done()
	w.Stop()
	a.Logger.Info("worker stopped")
	return nil
}

// reportFoldEvery is how often the API folds the report counts the triggers
// appended (reports also fold their own account before reading).
const reportFoldEvery = time.Minute

// foldReportCounts keeps the report counts folded. A failure is logged and tried
// again at the next tick: folding only keeps reads short, it never changes a
// report.
func (a *App) foldReportCounts(ctx context.Context) error {
	t := time.NewTicker(reportFoldEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := a.Store.FoldAllReportCounts(ctx); err != nil && ctx.Err() == nil {
			a.Logger.Error("folding report counts", "error", err)
		}
	}
}

// ensureRetentionSchedule creates or updates the retention schedule, retrying
// until Temporal accepts it: the worker serves meanwhile, and an error is logged
// each time so a schedule that cannot be set does not go unnoticed.
func (a *App) ensureRetentionSchedule(ctx context.Context) {
	in := workflows.RetentionInput{PostbackLog: a.Config.RetentionPostbackLog, Clicks: a.Config.RetentionClicks,
		Deliveries: a.Config.RetentionDeliveries, ConversionPersonal: a.Config.RetentionConversionPersonal,
		AuditLog: a.Config.RetentionAuditLog, Batch: a.Config.RetentionBatchSize}
	wait := time.Second
	for {
		err := worker.EnsureRetentionSchedule(ctx, a.Temporal, a.Config.TaskQueue, a.Config.RetentionSchedule, in)
		if err == nil {
			a.Logger.Info("retention schedule set", "postback_log", in.PostbackLog.String(), "clicks", in.Clicks.String(),
				"deliveries", in.Deliveries.String(), "conversion_personal", in.ConversionPersonal.String(), "cron", a.Config.RetentionSchedule)
			return
		}
		if ctx.Err() != nil {
			return
		}
		a.Logger.Error("retention schedule not set; retrying", "error", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Minute)
	}
}

// serveMetrics gives a worker-only process its /metrics (deliveries, attempts, the
// SDK's workflow and activity metrics) and /healthz.
func (a *App) serveMetrics(ctx context.Context) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(a.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	srv := &http.Server{Addr: a.Config.MetricsAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", a.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen on CONVRELAY_METRICS_ADDR %s: %w", a.Config.MetricsAddr, err)
	}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve metrics: %w", err)
	}
	return nil
}
