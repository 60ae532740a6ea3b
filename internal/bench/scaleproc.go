package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/convrelay/convrelay/internal/devtemporal"
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

// proc is one subprocess of the scale-out run, its output appended to a log.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	log  string
}

func startProc(name, bin string, args, env []string, logPath string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	fmt.Fprintf(f, "\n=== %s %v started %s\n", name, args, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	// If the bench dies, its subprocesses die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() {
		p.err = cmd.Wait()
		fmt.Fprintf(f, "=== %s exited %s: %v\n", name, time.Now().Format(time.RFC3339Nano), p.err)
		f.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits for the exit, and kills after timeout.
func (p *proc) stop(timeout time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %s after SIGTERM; killed", p.name, timeout)
	}
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

func (p *proc) usage() (ProcUsage, error) {
	u := ProcUsage{Name: p.name, PID: p.cmd.Process.Pid}
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
