package drill

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/convrelay/convrelay/internal/devtemporal"
	"github.com/convrelay/convrelay/internal/pgserver"
	"github.com/convrelay/convrelay/internal/subproc"
)

// Stack is the product assembled from parts the drills can break: PostgreSQL and
// Temporal restart on the same data directory and port, and the API and worker are
// subprocesses of the production binary.
type Stack struct {
	Dir     string // everything lives here: pg/, temporal/, *.log
	Bin     string // the production binary
	APIBase string // http://127.0.0.1:port
	DBURL   string

	progress io.Writer
	tlogger  *slog.Logger
	pgPort   int
	tPort    int
	httpAddr string
	logLevel string

	mu      sync.Mutex
	crashAt []time.Time // worker kills and PostgreSQL crashes or restarts
	pg      *pgserver.Server
	tsrv    *devtemporal.Server
	api     *subproc.Proc
	worker  *subproc.Proc
}

// StackOptions configure StartStack.
type StackOptions struct {
	Dir      string    // work directory (created if missing)
	Bin      string    // production binary; "" builds one into Dir
	Progress io.Writer // one line per step and fault; nil discards
	LogLevel string    // CONVRELAY_LOG_LEVEL of the subprocesses (default warn)
}

// StartStack starts PostgreSQL, Temporal, migrations, the API and one worker.
func StartStack(ctx context.Context, o StackOptions) (_ *Stack, err error) {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create work dir: %w", err)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.LogLevel == "" {
		o.LogLevel = "warn"
	}
	s := &Stack{Dir: o.Dir, Bin: o.Bin, progress: o.Progress, logLevel: o.LogLevel}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.Bin == "" {
		s.step("building %s", ProductPackage)
		if s.Bin, err = BuildBinary(ctx, o.Dir); err != nil {
			return nil, err
		}
	}
	tlog, err := os.OpenFile(filepath.Join(o.Dir, "temporal.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	s.tlogger = slog.New(slog.NewTextHandler(tlog, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if s.tPort, err = subproc.FreePort(); err != nil {
		return nil, err
	}
	httpPort, err := subproc.FreePort()
	if err != nil {
		return nil, err
	}
	s.httpAddr = "127.0.0.1:" + strconv.Itoa(httpPort)
	s.APIBase = "http://" + s.httpAddr

	if err := s.StartPostgres(ctx); err != nil {
		return nil, err
	}
	if err := s.pg.EnsureDatabase(ctx, "convrelay"); err != nil {
		return nil, err
	}
	s.DBURL = s.pg.URL("convrelay")
	if err := s.StartTemporal(ctx); err != nil {
		return nil, err
	}
	if out, err := s.run(ctx, "migrate"); err != nil {
		return nil, fmt.Errorf("convrelay migrate: %w\n%s", err, out)
	}
	if err := s.startAPI(ctx); err != nil {
		return nil, err
	}
	if err := s.StartWorker(ctx); err != nil {
		return nil, err
	}
	s.step("stack up in %s: api %s, postgres :%d, temporal :%d", s.Dir, s.APIBase, s.pgPort, s.tPort)
	return s, nil
}

func (s *Stack) step(format string, args ...any) {
	fmt.Fprintf(s.progress, "  %s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// env is the subprocesses' environment: ours without any Convrelay setting, plus
// the stack's addresses.
func (s *Stack) env() []string {
	env := subproc.EnvWithoutSettings()
	// The secret key is fixed for the drill's throwaway database; the fake
	// destinations listen on 127.0.0.1, which the outbound guard must allow.
	return append(env, "DATABASE_URL="+s.DBURL, "TEMPORAL_ADDRESS=127.0.0.1:"+strconv.Itoa(s.tPort), "HTTP_ADDR="+s.httpAddr,
		"CONVRELAY_LOG_LEVEL="+s.logLevel, "CONVRELAY_LOG_FORMAT=text",
		"CONVRELAY_SECRET_KEY=ZHJpbGwtb25seS1zZWNyZXQta2V5LTMyLWJ5dGVzISE=", "CONVRELAY_DESTINATION_ALLOW=127.0.0.1/32",
		"CONVRELAY_RATES_SCHEDULE=false", // the rates schedule would fetch from the ECB: drills stay on loopback
		// The hostile drill's flood comes "from other addresses" through
		// X-Forwarded-For, as behind a proxy on loopback.
		"CONVRELAY_TRUSTED_PROXIES=127.0.0.1/32")
}

// run runs a one-shot subcommand (migrate, create-account) and returns its stdout.
func (s *Stack) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.Bin, args...)
	cmd.Env = s.env()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}

func (s *Stack) startAPI(ctx context.Context) error {
	p, err := subproc.Start("api", s.Bin, []string{"api"}, s.env(), filepath.Join(s.Dir, "api.log"))
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.api = p
	s.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if ok, err := p.Exited(); ok {
			return fmt.Errorf("convrelay api exited during start-up: %v (see %s)", err, p.Log)
		}
		if resp, err := http.Get(s.APIBase + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("convrelay api not ready within 60s (see %s)", p.Log)
		}
		if err := subproc.Sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// Alive reports an API or worker process that exited on its own.
func (s *Stack) Alive() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range []*subproc.Proc{s.api, s.worker} {
		if p == nil {
			continue
		}
		if ok, err := p.Exited(); ok {
			return fmt.Errorf("convrelay %s exited: %v (see %s)", p.Name, err, p.Log)
		}
	}
	return nil
}

// WorkerPid is the current worker's process id.
func (s *Stack) WorkerPid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.worker.PID()
}

// Close stops everything: API and worker (SIGTERM), Temporal, PostgreSQL.
func (s *Stack) Close() {
	s.mu.Lock()
	api, worker, tsrv, pg := s.api, s.worker, s.tsrv, s.pg
	s.mu.Unlock()
	for _, p := range []*subproc.Proc{api, worker} {
		if p != nil {
			if err := p.Stop(30 * time.Second); err != nil {
				s.step("%v", err)
			}
		}
	}
	if tsrv != nil {
		_ = tsrv.Stop()
	}
	if pg != nil {
		_ = pg.Stop()
	}
}
