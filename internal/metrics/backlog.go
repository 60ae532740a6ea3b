package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/convrelay/convrelay/internal/store"
)

// RegisterBacklog exports, read from PostgreSQL at scrape time, the dispatcher
// backlog, and, for the accepted-means-applied promise, the accepted postbacks
// not yet applied with the failed ones by class, and the deliveries awaiting
// their workflow: each a count and the age of its oldest row, through one reader.
func (m *Metrics) RegisterBacklog(st *store.Store) {
	m.registerCountAndAge(st.BacklogStats, time.Second,
		"convrelay_dispatch_backlog", "Accepted postbacks not yet handed to Temporal.",
		"convrelay_dispatch_backlog_oldest_seconds", "Age of the oldest postback waiting for Temporal.", nil)
	// The unapplied count covers the whole log: read at most every 2 s.
	m.registerCountAndAge(st.UnappliedStats, 2*time.Second,
		"convrelay_unapplied_postbacks", "Accepted postbacks not yet applied (waiting for the hand-over or in their workflow).",
		"convrelay_unapplied_oldest_seconds", "Age of the oldest accepted postback not yet applied.",
		&byClass{desc: prometheus.NewDesc("convrelay_postbacks_failed",
			"Accepted postbacks that failed for a cause no retry fixes, by class (re-drive with POST .../postbacks/{id}/retry).", []string{"reason"}, nil),
			classes: []string{store.FailedRefused, store.FailedInvalidData, store.FailedMissing, store.FailedInternal},
			read:    st.FailedCounts})
	m.registerCountAndAge(st.AwaitingWorkflowStats, time.Second,
		"convrelay_deliveries_awaiting_workflow", "Deliveries written by a backfill or re-drive that no workflow has started yet.",
		"convrelay_deliveries_awaiting_workflow_oldest_seconds", "Age of the oldest delivery no workflow has started yet.", nil)
}

// byClass is an optional gauge by label read with a count.
type byClass struct {
	desc    *prometheus.Desc
	classes []string
	read    func(context.Context) (map[string]int64, error)
}

// countAndAge is the one reader of a backlog: a count and its oldest row's age
// (and optionally counts by class), read at most once per every, kept when a
// read fails so a scrape never blocks on a slow database twice.
type countAndAge struct {
	stats         func(context.Context) (int64, time.Duration, error)
	every         time.Duration
	count, oldest *prometheus.Desc
	extra         *byClass

	mu      sync.Mutex
	last    time.Time
	n       int64
	age     time.Duration
	byClass map[string]int64
}

func (m *Metrics) registerCountAndAge(stats func(context.Context) (int64, time.Duration, error), every time.Duration,
	countName, countHelp, ageName, ageHelp string, extra *byClass) {
	_ = m.Registry.Register(&countAndAge{stats: stats, every: every, extra: extra,
		count: prometheus.NewDesc(countName, countHelp, nil, nil), oldest: prometheus.NewDesc(ageName, ageHelp, nil, nil)})
}

func (c *countAndAge) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.count
	ch <- c.oldest
	if c.extra != nil {
		ch <- c.extra.desc
	}
}

func (c *countAndAge) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.last) >= c.every {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n, age, err := c.stats(ctx)
		var classes map[string]int64
		if err == nil && c.extra != nil {
			classes, err = c.extra.read(ctx)
		}
		cancel()
		if err == nil {
			c.n, c.age, c.byClass, c.last = n, age, classes, time.Now()
		}
	}
	ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(c.n))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, c.age.Seconds())
	if c.extra != nil {
		for _, class := range c.extra.classes {
			ch <- prometheus.MustNewConstMetric(c.extra.desc, prometheus.GaugeValue, float64(c.byClass[class]), class)
		}
	}
}
