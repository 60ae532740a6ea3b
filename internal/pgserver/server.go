package pgserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configure a local cluster.
type Options struct {
	Dir  string // cluster directory (created by initdb when empty)
	Host string // listen address, default 127.0.0.1
	Port int    // 0 picks a free port
	Fast bool   // fsync off: for throwaway test clusters only
	// MaxConnections is the server's max_connections; 0 means 200.
	MaxConnections int
	Logger         *slog.Logger
}

// Server is a running local cluster.
type Server struct {
	opts  Options
	cmd   *exec.Cmd
	done  chan error
	owned bool // false when we found a cluster already running on the port and reused it
}

// Start initialises the cluster directory if needed and starts postgres on it,
// returning once it accepts connections. A cluster already answering on the port
// (left by a crashed run) is reused rather than started twice.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Port == 0 {
		port, err := freePort(opts.Host)
		if err != nil {
			return nil, err
		}
		opts.Port = port
	}
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("cluster dir: %w", err)
	}
	opts.Dir = dir
	s := &Server{opts: opts}
	if s.ping(ctx) == nil {
		opts.Logger.Info("reusing PostgreSQL already running", "port", opts.Port)
		return s, nil
	}
	cred, err := postgresCredential()
	if err != nil {
		return nil, err
	}
	if err := s.initdb(ctx, bin, cred); err != nil {
		return nil, err
	}
	if err := s.start(ctx, bin, cred); err != nil {
		return nil, err
	}
	return s, nil
}

// postgresCredential returns the postgres user's ids when we run as root (initdb and
// postgres refuse root), or nil to run as ourselves.
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a 'postgres' user to run the database (apt-get install postgresql creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *Server) initdb(ctx context.Context, bin string, cred *syscall.Credential) error {
	if _, err := os.Stat(filepath.Join(s.opts.Dir, "PG_VERSION")); err == nil {
		return nil
	}
	if err := os.MkdirAll(s.opts.Dir, 0o700); err != nil {
		return fmt.Errorf("create cluster dir: %w", err)
	}
	if cred != nil {
		if err := chownForPostgres(s.opts.Dir, cred); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, binPath(bin, "initdb"), "-D", s.opts.Dir, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Dir = s.opts.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w", describe(cmd, out, err))
	}
	return nil
}

// chownForPostgres hands the cluster dir to the postgres user and makes sure every
// parent directory can be traversed by it.
func chownForPostgres(dir string, cred *syscall.Credential) error {
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("chown cluster dir: %w", err)
	}
	for p := filepath.Dir(dir); p != "/" && p != "."; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("stat %s: %w", p, err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, st.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("let postgres traverse %s: %w", p, err)
			}
		}
	}
	return nil
}

func (s *Server) start(ctx context.Context, bin string, cred *syscall.Credential) error {
	maxConns := s.opts.MaxConnections
	if maxConns <= 0 {
		maxConns = 200
	}
	args := []string{"-D", s.opts.Dir, "-h", s.opts.Host, "-p", strconv.Itoa(s.opts.Port),
		"-k", s.opts.Dir, "-c", "max_connections=" + strconv.Itoa(maxConns), "-c", "shared_buffers=256MB"}
	if s.opts.Fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(binPath(bin, "postgres"), args...)
	// Own process group so a terminal's Ctrl-C reaches us, not postgres: we stop it
	// last, after API, worker and Temporal. Pdeathsig stops it if we die.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGINT}
	logFile, err := os.OpenFile(filepath.Join(s.opts.Dir, "..", "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open postgres log: %w", err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	s.cmd, s.owned, s.done = cmd, true, make(chan error, 1)
	go func() { s.done <- cmd.Wait(); logFile.Close() }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := s.ping(ctx); err == nil {
			return nil
		}
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("postgres exited during start-up (see %s): %v", logFile.Name(), err)
		case <-ctx.Done():
			_ = s.Stop()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.Stop()
			return errors.New("postgres did not accept connections within 60s")
		}
	}
}

func (s *Server) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// URL is a connection string for the named database.
func (s *Server) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port)), database)
}

// Port is the TCP port the cluster listens on.
func (s *Server) Port() int { return s.opts.Port }

// EnsureDatabase creates the database when it does not exist.
func (s *Server) EnsureDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to create database: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// Stop shuts the cluster down with a fast shutdown (clients disconnected, data
// consistent) and waits for it. A reused cluster is left running.
func (s *Server) Stop() error {
	if !s.owned || s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-s.done:
		s.done <- err
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			return fmt.Errorf("wait for postgres: %w", err)
		}
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		return errors.New("postgres did not stop within 30s; killed")
	}
}

// Kill stops postgres abruptly, as a crash would (used by fault drills).
func (s *Server) Kill() error {
	if !s.owned || s.cmd == nil {
		return nil
	}
	return s.cmd.Process.Signal(syscall.SIGKILL)
}

func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
