package drill

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/convrelay/convrelay/internal/devtemporal"
	"github.com/convrelay/convrelay/internal/pgserver"
	"github.com/convrelay/convrelay/internal/subproc"
	"github.com/convrelay/convrelay/workflows"
)

// The faults: each part of the stack can be stopped or killed and started again
// on the same data directory and port.

// StartWorker starts a `convrelay worker` process (a fresh one after KillWorker).
func (s *Stack) StartWorker(ctx context.Context) error {
	p, err := subproc.Start("worker", s.Bin, []string{"worker"}, s.env(), filepath.Join(s.Dir, "worker.log"))
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.worker = p
	s.mu.Unlock()
	// The worker has no HTTP endpoint: it is up when it has not failed on start.
	if err := subproc.Sleep(ctx, time.Second); err != nil {
		return err
	}
	if ok, err := p.Exited(); ok {
		return fmt.Errorf("convrelay worker exited during start-up: %v (see %s)", err, p.Log)
	}
	s.step("worker started (pid %d)", p.PID())
	return nil
}

// KillWorker SIGKILLs the worker.
func (s *Stack) KillWorker() error {
	s.mu.Lock()
	p := s.worker
	s.mu.Unlock()
	s.crashed()
	if err := p.Kill(); err != nil {
		return err
	}
	s.step("worker killed with SIGKILL (pid %d)", p.PID())
	return nil
}

// StartTemporal starts the embedded Temporal server on the stack's port and data dir.
func (s *Stack) StartTemporal(ctx context.Context) error {
	srv, err := devtemporal.Start(ctx, devtemporal.Options{DataDir: filepath.Join(s.Dir, "temporal"), GRPCPort: s.tPort, UIPort: -1,
		SearchAttributes: workflows.SearchAttributeNames, Logger: s.tlogger})
	if err != nil {
		return fmt.Errorf("start Temporal: %w", err)
	}
	s.mu.Lock()
	s.tsrv = srv
	s.mu.Unlock()
	s.step("temporal up on :%d", s.tPort)
	return nil
}

// StopTemporal stops the Temporal server.
func (s *Stack) StopTemporal() error {
	s.mu.Lock()
	srv := s.tsrv
	s.tsrv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Stop(); err != nil {
		return fmt.Errorf("stop Temporal: %w", err)
	}
	s.step("temporal stopped")
	return nil
}

// StartPostgres starts the cluster on the stack's dir and port. Right after a
// crash the old backends may still hold shared memory for a moment, so a failed
// start is retried for 30 s.
func (s *Stack) StartPostgres(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(s.Dir, "pg"), Port: s.pgPort, Logger: s.tlogger})
		if err == nil {
			s.mu.Lock()
			s.pg, s.pgPort = pg, pg.Port()
			s.mu.Unlock()
			s.step("postgres up on :%d", s.pgPort)
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("start PostgreSQL: %w", err)
		}
		if err := subproc.Sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
}

// takePostgres detaches the running cluster (nil when none) and marks the stack as
// having lost its database, for a stop or a kill.
func (s *Stack) takePostgres() *pgserver.Server {
	s.mu.Lock()
	pg := s.pg
	s.pg = nil
	s.mu.Unlock()
	if pg != nil {
		s.crashed()
	}
	return pg
}

// StopPostgres shuts the cluster down cleanly (fast shutdown: clients disconnected).
func (s *Stack) StopPostgres() error {
	pg := s.takePostgres()
	if pg == nil {
		return nil
	}
	if err := pg.Stop(); err != nil {
		return fmt.Errorf("stop PostgreSQL: %w", err)
	}
	s.step("postgres stopped (fast shutdown)")
	return nil
}

// KillPostgres SIGKILLs the postmaster, as a crash would, and waits until the
// port refuses connections.
func (s *Stack) KillPostgres() error {
	pg := s.takePostgres()
	if pg == nil {
		return nil
	}
	if err := pg.Kill(); err != nil {
		return fmt.Errorf("kill PostgreSQL: %w", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(s.pgPort)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			s.step("postgres killed with SIGKILL")
			return nil
		}
		c.Close()
	}
	return errors.New("PostgreSQL still accepts connections 30s after SIGKILL")
}

func (s *Stack) crashed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crashAt = append(s.crashAt, time.Now())
}

// crashes lists when the worker was killed or PostgreSQL crashed or restarted.
func (s *Stack) crashes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.crashAt...)
}
