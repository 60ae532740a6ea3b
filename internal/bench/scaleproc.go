package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/convrelay/convrelay/internal/devtemporal"
	"github.com/convrelay/convrelay/internal/subproc"
	"github.com/convrelay/convrelay/workflows"
)

// ServeTemporalOptions run the embedded Temporal server alone, as its own
// process: what `make bench-scale` starts (the bench binary re-executed with
// -serve-temporal), so that the production binary's api and worker processes
// talk to Temporal over the network, as they would to a cluster.
type ServeTemporalOptions struct {
	PostgresURL string // persistence: <db>_temporal and <db>_temporal_visibility on this server
	Port        int
	Shards      int
	Retention   time.Duration
	ReadyFile   string // written once the namespace and search attributes are usable
}

// ServeTemporal runs until ctx ends.
func ServeTemporal(ctx context.Context, o ServeTemporalOptions) error {
	srv, err := devtemporal.Start(ctx, devtemporal.Options{PostgresURL: o.PostgresURL, HistoryShards: o.Shards, GRPCPort: o.Port, UIPort: -1,
		Retention: o.Retention, SearchAttributes: workflows.SearchAttributeNames})
	if err != nil {
		return err
	}
	defer srv.Stop()
	if o.ReadyFile != "" {
		if err := os.WriteFile(o.ReadyFile, []byte(srv.FrontendAddress()+"\n"), 0o644); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return nil
}

// ProcUsage is one subprocess's resident memory and CPU time over its life.
type ProcUsage struct {
	Name       string  `json:"name"`
	PID        int     `json:"pid"`
	RSS        int64   `json:"rss_bytes"`
	CPUSeconds float64 `json:"cpu_seconds"`
	// From the process's /metrics: the SDK's sticky cache occupancy (-1: not
	// served, an API process) and the Go heap in use.
	StickyCache int   `json:"sticky_cache_workflows"`
	HeapInuse   int64 `json:"go_heap_inuse_bytes"`
}

func usage(p *subproc.Proc) (ProcUsage, error) {
	u := ProcUsage{Name: p.Name, PID: p.PID()}
	var err error
	if u.RSS, err = procRSS(filepath.Join("/proc", fmt.Sprint(u.PID), "status")); err != nil {
		return u, err
	}
	ps, err := readProcStat("/proc", u.PID)
	if err != nil {
		return u, err
	}
	u.CPUSeconds = ticks(ps.utime + ps.stime).Seconds()
	return u, nil
}
