package api_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/api"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// harnessOptions change what newHarnessWith builds: the configuration as read
// from the environment, the store the handler uses, and a Temporal client.
type harnessOptions struct {
	config   func(*config.Config)
	store    *store.Store // nil: the harness's own test database
	temporal client.Client
}

// newHarnessWith is newHarness with a changed configuration or dependencies.
func newHarnessWith(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	st := pgtest.NewStore(t)
	acct, key, err := st.CreateAccount(context.Background(), store.Account{Name: "acme", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = "https://track.example.com"
	cfg.DefaultAccount = acct.ID
	if o.config != nil {
		o.config(&cfg)
	}
	handlerStore := st
	if o.store != nil {
		handlerStore = o.store
	}
	h := &harness{t: t, st: st, account: acct, key: key, pokes: &pokeCounter{}, metrics: metrics.New()}
	h.srv = httptest.NewServer(api.NewHandler(api.Deps{Store: handlerStore, Temporal: o.temporal, Dispatcher: h.pokes, Config: cfg,
		Logger: slog.New(slog.DiscardHandler), Metrics: h.metrics}))
	t.Cleanup(h.srv.Close)
	return h
}
