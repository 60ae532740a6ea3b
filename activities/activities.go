// Package activities holds the work ConversionWorkflow delegates: attribution and
// recording (short database steps, run as local activities) and deliveries (regular
// activities, retried by Temporal). Activities are methods of a struct that holds
// their dependencies, built once by the worker.
package activities

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/store"
)

// DefaultVisitorSession is how long a visitor's session lives without activity
// (FunnelFlux: 4 days, extended by each hit).
const DefaultVisitorSession = 4 * 24 * time.Hour

// Activities is registered on the worker; the workflow calls its methods.
type Activities struct {
	Store          *store.Store
	Sender         *destinations.Sender
	Logger         *slog.Logger
	VisitorSession time.Duration
	Metrics        *metrics.Metrics // nil: not counted

	accounts sync.Map // account id -> cachedAccount
}

// accountTTL is how long an account (currency, time zone) is reused from memory:
// attribution reads it for every postback, and it rarely changes.
const accountTTL = 30 * time.Second

type cachedAccount struct {
	acct store.Account
	at   time.Time
}

// account loads an account, from a short-lived cache when it can.
func (a *Activities) account(ctx context.Context, id string) (store.Account, error) {
	if v, ok := a.accounts.Load(id); ok {
		if c := v.(cachedAccount); time.Since(c.at) < accountTTL {
			return c.acct, nil
		}
	}
	acct, err := a.Store.GetAccount(ctx, id)
	if err != nil {
		return acct, err
	}
	a.accounts.Store(id, cachedAccount{acct, time.Now()})
	return acct, nil
}

func (a *Activities) session() time.Duration {
	if a.VisitorSession > 0 {
		return a.VisitorSession
	}
	return DefaultVisitorSession
}

// count records one delivery attempt and, for a success, its outcome (a failure
// is counted by MarkDeliveryFailed, which sees every way a delivery fails).
func (a *Activities) count(destType, outcome string) {
	if a.Metrics == nil {
		return
	}
	a.Metrics.DeliveryAttempts.WithLabelValues(destType).Inc()
	if outcome != "" {
		a.Metrics.Deliveries.WithLabelValues(destType, outcome).Inc()
	}
}
