// Package app assembles the running product from its parts: the HTTP API with its
// dispatcher, and the Temporal worker. The production mains and the embedded
// development stack both start it the same way.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

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
}

// Run serves the API (with its dispatcher) and/or the worker until ctx ends, then
// stops them gracefully: the API stops taking requests and finishes those in
// flight, the dispatcher releases what it had not handed over, the worker finishes
// its tasks.
func (a *App) Run(ctx context.Context, withAPI, withWorker bool) error {
	if a.Metrics == nil {
		a.Metrics = metrics.New()
	}
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
			Shards: a.Config.DispatchShards, StaleAfter: a.Config.DispatchStaleAfter, Logger: a.Logger,
			OnDispatched: func(age time.Duration) { a.Metrics.DispatchSeconds.Observe(age.Seconds()) },
		})
		a.Metrics.RegisterBacklog(a.Store)
		run("dispatcher", d.Run)
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
	handler := api.NewHandler(api.Deps{Store: a.Store, Temporal: a.Temporal, Dispatcher: d, Config: a.Config, Logger: a.Logger, Metrics: a.Metrics})
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
		Sender:         &destinations.Sender{Client: httpClient},
		Logger:         a.Logger,
		VisitorSession: a.Config.VisitorSession,
		Metrics:        a.Metrics,
	}
	w := worker.New(a.Temporal, acts, worker.Options{TaskQueue: a.Config.TaskQueue, MaxConcurrent: a.Config.WorkerConcurrency,
		CacheSize: a.Config.WorkflowCacheSize})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	a.Logger.Info("worker started", "task_queue", a.Config.TaskQueue)
	<-ctx.Done()
	w.Stop()
	a.Logger.Info("worker stopped")
	return nil
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
