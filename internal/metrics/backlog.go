package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/convrelay/convrelay/internal/store"
)

// RegisterBacklog exports the dispatcher backlog (accepted postbacks not yet handed
// to Temporal) and the age of its oldest row, read from PostgreSQL at scrape time
// (at most once a second).
func (m *Metrics) RegisterBacklog(st *store.Store) {
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
		if n, age, err := st.BacklogStats(ctx); err == nil {
			count, oldest, last = n, age, time.Now()
		}
	}
	_ = m.Registry.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "convrelay_dispatch_backlog", Help: "Accepted postbacks not yet handed to Temporal.",
	}, func() float64 { refresh(); mu.Lock(); defer mu.Unlock(); return float64(count) }))
	_ = m.Registry.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "convrelay_dispatch_backlog_oldest_seconds", Help: "Age of the oldest postback waiting for Temporal.",
	}, func() float64 { refresh(); mu.Lock(); defer mu.Unlock(); return oldest.Seconds() }))
}
