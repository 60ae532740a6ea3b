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

	"github.com/convrelay/convrelay/internal/accountcache"
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

	// Accounts is the process's one account reader (shared with the API and the
	// dispatcher); nil: one of its own.
	Accounts *accountcache.Reader
	ownOnce  sync.Once
}

// account loads an account (currency, time zone) through the shared reader:
// attribution reads it for every postback, and it rarely changes.
func (a *Activities) account(ctx context.Context, id string) (store.Account, error) {
	a.ownOnce.Do(func() {
		if a.Accounts == nil {
			a.Accounts = accountcache.New(a.Store, 0)
		}
	})
	return a.Accounts.Account(ctx, id)
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
