package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/convrelay/convrelay/internal/store"
)

// RegisterBacklog exports the dispatcher backlog and, for the accepted-means-applied
// promise, the accepted postbacks not yet applied, the age of the oldest, and the
// failed ones by class; see registerBacklog.
func (m *Metrics) RegisterBacklog(st *store.Store) {
	m.registerBacklog(st)
	m.registerUnapplied(st)
	m.registerAwaitingWorkflow(st)
}

// registerAwaitingWorkflow exports the deliveries the API wrote (a backfill, a
// re-drive) that no workflow has started, and the age of the oldest: one that
// stays past CONVRELAY_RECONCILE_AFTER is being handed over again.
func (m *Metrics) registerAwaitingWorkflow(st *store.Store) {
	m.registerCountAndAge(st.AwaitingWorkflowStats,
		"convrelay_deliveries_awaiting_workflow", "Deliveries written by a backfill or re-drive that no workflow has started yet.",
		"convrelay_deliveries_awaiting_workflow_oldest_seconds", "Age of the oldest delivery no workflow has started yet.")
}

// registerBacklog exports the dispatcher backlog (accepted postbacks not yet handed
// to Temporal) and the age of its oldest row.
func (m *Metrics) registerBacklog(st *store.Store) {
	m.registerCountAndAge(st.BacklogStats,
		"convrelay_dispatch_backlog", "Accepted postbacks not yet handed to Temporal.",
		"convrelay_dispatch_backlog_oldest_seconds", "Age of the oldest postback waiting for Temporal.")
}

// registerCountAndAge exports a count and the age of its oldest row, read from
// PostgreSQL at scrape time (at most once a second).
func (m *Metrics) registerCountAndAge(stats func(context.Context) (int64, time.Duration, error), countName, countHelp, ageName, ageHelp string) {
	var mu sync.Mutex
	var last time.Time
	var count int64
	var oldest time.Duration
	refresh := func() {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < time.Second {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if n, age, err := stats(ctx); err == nil {
			count, oldest, last = n, age, time.Now()
		}
	}
	_ = m.Registry.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: countName, Help: countHelp},
		func() float64 { refresh(); mu.Lock(); defer mu.Unlock(); return float64(count) }))
	_ = m.Registry.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: ageName, Help: ageHelp},
		func() float64 { refresh(); mu.Lock(); defer mu.Unlock(); return oldest.Seconds() }))
}

// registerUnapplied exports convrelay_unapplied_postbacks, its oldest row's age,
// and convrelay_postbacks_failed by class, read at scrape time (at most once every
// few seconds: the count covers the whole log's unapplied rows).
func (m *Metrics) registerUnapplied(st *store.Store) {
	c := &unappliedCollector{st: st,
		count:  prometheus.NewDesc("convrelay_unapplied_postbacks", "Accepted postbacks not yet applied (waiting for the hand-over or in their workflow).", nil, nil),
		oldest: prometheus.NewDesc("convrelay_unapplied_oldest_seconds", "Age of the oldest accepted postback not yet applied.", nil, nil),
		failed: prometheus.NewDesc("convrelay_postbacks_failed", "Accepted postbacks that failed for a cause no retry fixes, by class (re-drive with POST .../postbacks/{id}/retry).", []string{"reason"}, nil),
	}
	_ = m.Registry.Register(c)
}

type unappliedCollector struct {
	st                    *store.Store
	count, oldest, failed *prometheus.Desc

	mu       sync.Mutex
	last     time.Time
	n        int64
	age      time.Duration
	byReason map[string]int64
}

func (c *unappliedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.count
	ch <- c.oldest
	ch <- c.failed
}

func (c *unappliedCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.last) >= 2*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n, age, err := c.st.UnappliedStats(ctx)
		failed, ferr := c.st.FailedCounts(ctx)
		cancel()
		if err == nil && ferr == nil {
			c.n, c.age, c.byReason, c.last = n, age, failed, time.Now()
		}
	}
	ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(c.n))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, c.age.Seconds())
	for _, reason := range []string{store.FailedRefused, store.FailedInvalidData, store.FailedMissing, store.FailedInternal} {
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, float64(c.byReason[reason]), reason)
	}
}
