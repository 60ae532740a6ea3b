package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/convrelay/convrelay/api"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/secrets"
	"github.com/convrelay/convrelay/internal/store"
)

// noDispatch leaves accepted rows in the log: the intake phase measures the durable
// accept alone, without Temporal competing for the CPU.
type noDispatch struct{}

func (noDispatch) Poke() {}

// intakeDatabase creates (afresh) and migrates a database beside the stack's own, so
// the raw and intake phases write the same table on the same server without
// feeding the pipeline.
func intakeDatabase(ctx context.Context, stackURL string) (*store.Store, error) {
	adminURL := strings.Replace(stackURL, "/convrelay?", "/postgres?", 1)
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("connect to create the bench database: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS bench_intake`); err != nil {
		return nil, fmt.Errorf("drop bench database: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE bench_intake`); err != nil {
		return nil, fmt.Errorf("create bench database: %w", err)
	}
	st, err := store.Open(ctx, strings.Replace(stackURL, "/convrelay?", "/bench_intake?", 1), 40)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, st.Pool); err != nil {
		st.Close()
		return nil, err
	}
	// A throwaway key: the bench database is dropped on the next run.
	if err := useThrowawayKey(st); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// useThrowawayKey seals the store's secrets with a key made for this run: a
// bench database never outlives the run that seeds it.
func useThrowawayKey(st *store.Store) error {
	key, err := secrets.GenerateKey()
	if err != nil {
		return fmt.Errorf("throwaway secret key: %w", err)
	}
	if st.Secrets, err = secrets.New(key); err != nil {
		return fmt.Errorf("throwaway secret key: %w", err)
	}
	return nil
}

// intakeServer serves Convrelay's real HTTP handler on the bench database.
func intakeServer(ctx context.Context, st *store.Store, cfg config.Config) (base string, stop func(), err error) {
	acct, _, err := st.CreateAccount(ctx, store.Account{Name: "bench"})
	if err != nil {
		return "", nil, err
	}
	if _, err := st.CreateIntegration(ctx, store.Integration{AccountID: acct.ID, Slug: "net", Preset: "custom", Open: true}); err != nil {
		return "", nil, err
	}
	h := api.NewHandler(api.Deps{Store: st, Dispatcher: noDispatch{}, Config: cfg, Logger: slog.New(slog.DiscardHandler), Metrics: metrics.New()})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/" + acct.ID + "/collect/net", func() { _ = srv.Close() }, nil
}
