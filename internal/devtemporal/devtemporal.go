// Package devtemporal runs an embedded, single-process Temporal server
// (SQLite or PostgreSQL persistence) together with the Temporal Web UI, for
// local development, tests and benchmarks.
//
// DEVELOPMENT AND TESTS ONLY: production binaries must never import this
// package. It links the whole Temporal server and UI into the binary, keeps
// all state in one SQLite file pair (or in memory) or in two databases of an
// existing PostgreSQL server, runs without auth or TLS, and its Fatal
// handling panics instead of exiting. Production deployments talk to a real
// Temporal cluster through the SDK client.
package devtemporal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/labstack/echo/v4"
	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/common/searchattribute/sadefs"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/convrelay/convrelay/internal/subproc"
)

// Options configures Start.
//
// The ports have no implicit default because 0 means "pick a free port" (what
// tests want): a dev binary passes DefaultGRPCPort (7233) and DefaultUIPort
// (8233), or its own configured values.
//
// PostgresURL names a database of an existing PostgreSQL server. The default
// store and the visibility store then live in two databases derived from its
// name, <db>_temporal and <db>_temporal_visibility, created when missing (the
// user needs CREATEDB for that); their schemas are set up on first start and
// updated when this server version needs a newer one. The named database
// itself is only used to create them. DataDir must then be "".
//
// HistoryShards is recorded in the store at its first start and can never
// change for it: Start refuses a different non-zero value.
type Options struct {
	DataDir          string        // SQLite files live here; "" (and no PostgresURL) means in-memory (tests)
	PostgresURL      string        // instead of SQLite: postgres://user@host:port/db?sslmode=disable (see below)
	HistoryShards    int           // 0: the store's count, or 4 (SQLite) / 16 (PostgreSQL) for a new store
	Host             string        // default "127.0.0.1"; gRPC and UI listen only here
	GRPCPort         int           // DefaultGRPCPort (7233) in dev; 0 means pick a free port
	UIPort           int           // DefaultUIPort (8233) in dev; -1 means no UI; 0 means pick a free port
	Namespace        string        // default "default"
	Retention        time.Duration // default 30 days (never the 24 h dev default)
	SearchAttributes []string      // custom Keyword search attributes to register
	Logger           *slog.Logger  // server logs go here, at warn level and above
}

const (
	defaultHost      = "127.0.0.1"
	defaultNamespace = "default"
	defaultRetention = 30 * 24 * time.Hour

	// DefaultGRPCPort and DefaultUIPort are the conventional Temporal dev
	// server ports (see Options).
	DefaultGRPCPort = 7233
	DefaultUIPort   = 8233

	clusterName           = "active"
	defaultSQLiteShards   = 4  // persisted in the store: never changes for an existing one
	defaultPostgresShards = 16 // idem
	maxHistoryShards      = 4096
	defaultStoreName      = "default"
	visibilityStoreName   = "visibility"

	// DefaultDBFile and VisibilityDBFile are the SQLite file names under DataDir.
	DefaultDBFile    = "temporal.db"
	VisibilityDBFile = "temporal-visibility.db"
	lockFileName     = "devtemporal.lock"

	serverLogLevel      = slog.LevelWarn
	logLevelOff         = slog.Level(1 << 20)
	defaultStartTimeout = 90 * time.Second
	pollInterval        = 100 * time.Millisecond
	uiStopTimeout       = 5 * time.Second
)

// Server is a running embedded Temporal server (and optional Web UI).
type Server struct {
	namespace    string
	frontendAddr string
	uiAddr       string

	srv      temporal.Server
	logLevel *slog.LevelVar // minimum level of the server's own logs

	ui         *uiserver.Server
	uiListener net.Listener
	uiDone     chan struct{}

	unlock func() // releases the DataDir or PostgreSQL store lock

	stopOnce sync.Once
	stopErr  error
}

// FrontendAddress returns host:port of the frontend gRPC endpoint, for the SDK client.
func (s *Server) FrontendAddress() string { return s.frontendAddr }

// UIAddress returns the Web UI base URL (http://host:port), or "" when the UI is disabled.
func (s *Server) UIAddress() string { return s.uiAddr }

// Namespace returns the namespace created (or updated) by Start.
func (s *Server) Namespace() string { return s.namespace }

var searchAttributeNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func (o Options) withDefaults() (Options, error) {
	if o.Host == "" {
		o.Host = defaultHost
	}
	if o.Host == "localhost" {
		o.Host = defaultHost
	}
	if net.ParseIP(o.Host) == nil {
		return o, fmt.Errorf("devtemporal: Host %q must be an IP address (e.g. 127.0.0.1)", o.Host)
	}
	if o.GRPCPort < 0 || o.GRPCPort > 65535 {
		return o, fmt.Errorf("devtemporal: invalid GRPCPort %d", o.GRPCPort)
	}
	if o.UIPort < -1 || o.UIPort > 65535 {
		return o, fmt.Errorf("devtemporal: invalid UIPort %d (-1 disables the UI)", o.UIPort)
	}
	if o.Namespace == "" {
		o.Namespace = defaultNamespace
	}
	if o.Retention == 0 {
		o.Retention = defaultRetention
	}
	if o.Retention < 24*time.Hour {
		return o, fmt.Errorf("devtemporal: Retention %s is below the server minimum of 24h", o.Retention)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.HistoryShards < 0 || o.HistoryShards > maxHistoryShards {
		return o, fmt.Errorf("devtemporal: HistoryShards %d out of range (0 for the default, at most %d)", o.HistoryShards, maxHistoryShards)
	}
	if o.PostgresURL != "" {
		if o.DataDir != "" {
			return o, errors.New("devtemporal: set DataDir (SQLite) or PostgresURL, not both")
		}
		if _, err := parsePostgresURL(o.PostgresURL); err != nil {
			return o, err
		}
	}
	if o.DataDir != "" {
		if strings.ContainsAny(o.DataDir, "?#%") {
			return o, fmt.Errorf("devtemporal: DataDir %q must not contain '?', '#' or '%%' (it becomes a SQLite URI)", o.DataDir)
		}
		abs, err := filepath.Abs(o.DataDir)
		if err != nil {
			return o, fmt.Errorf("devtemporal: DataDir: %w", err)
		}
		o.DataDir = abs
	}
	seen := make(map[string]bool, len(o.SearchAttributes))
	attrs := make([]string, 0, len(o.SearchAttributes))
	for _, name := range o.SearchAttributes {
		switch {
		case !searchAttributeNameRE.MatchString(name):
			return o, fmt.Errorf("devtemporal: invalid search attribute name %q", name)
		case strings.EqualFold(name, "Status"):
			return o, fmt.Errorf("devtemporal: search attribute name %q is not allowed (use e.g. ConversionStatus)", name)
		case sadefs.IsReserved(name):
			return o, fmt.Errorf("devtemporal: search attribute name %q is reserved by Temporal", name)
		}
		if !seen[name] {
			seen[name] = true
			attrs = append(attrs, name)
		}
	}
	o.SearchAttributes = attrs
	return o, nil
}

// Start starts the server, waits until the frontend answers, makes sure the
// namespace exists with the requested retention and the search attributes are
// registered and queryable, then starts the UI (unless UIPort is -1).
//
// On error nothing is left running. ctx bounds the wait for readiness; without
// a deadline a 90 s limit applies.
//
// The service ports are picked free and released before the server binds them,
// so another process can take one in between (tests running in parallel): that
// start is tried again with new ports, up to startAttempts times.
func Start(ctx context.Context, opts Options) (*Server, error) {
	for attempt := 1; ; attempt++ {
		s, err := start(ctx, opts)
		if err == nil || attempt == startAttempts || !pickedPortTaken(err) || ctx.Err() != nil {
			return s, err
		}
		logger := opts.Logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.Warn("devtemporal: a picked port was taken before the server bound it; picking again", "attempt", attempt, "error", err)
	}
}

const startAttempts = 3

// pickedPortTaken reports whether a start failed because a port picked for it
// was bound by someone else first (not a fixed port found busy up front).
func pickedPortTaken(err error) bool {
	msg := err.Error()
	if strings.Contains(msg, "is not available") {
		return false // a fixed port (GRPCPort, UIPort) that is busy: picking again cannot help
	}
	return errors.Is(err, syscall.EADDRINUSE) || strings.Contains(msg, "address already in use") ||
		strings.Contains(msg, "Failed to start gRPC listener")
}

func start(ctx context.Context, opts Options) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}

	s := &Server{namespace: o.Namespace, logLevel: new(slog.LevelVar)}
	s.logLevel.Set(serverLogLevel)
	logger := serverLogger{l: slog.New(minLevelHandler{min: s.logLevel, h: o.Logger.Handler()}).
		With("component", "temporal-server")}

	// Ports. The server binds its own listeners (and calls Fatal if that
	// fails), so check explicitly first to return a readable error.
	frontendPort := o.GRPCPort
	if frontendPort == 0 {
		if frontendPort, err = pickPort(o.Host); err != nil {
			return nil, fmt.Errorf("devtemporal: picking a frontend port: %w", err)
		}
	} else if err := checkPortFree(o.Host, frontendPort); err != nil {
		return nil, fmt.Errorf("devtemporal: frontend gRPC port %d on %s is not available: %w", frontendPort, o.Host, err)
	}
	s.frontendAddr = net.JoinHostPort(o.Host, strconv.Itoa(frontendPort))

	// The frontend's HTTP API (also serves Nexus); without it the server warns on every start.
	httpPort, err := pickPort(o.Host)
	if err != nil {
		return nil, fmt.Errorf("devtemporal: picking a frontend HTTP port: %w", err)
	}

	servicePorts := map[primitives.ServiceName]int{primitives.FrontendService: frontendPort}
	for _, svc := range []primitives.ServiceName{primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		p, err := pickPort(o.Host)
		if err != nil {
			return nil, fmt.Errorf("devtemporal: picking a port for the %s service: %w", svc, err)
		}
		servicePorts[svc] = p
	}

	if o.UIPort != -1 {
		uiPort := o.UIPort
		ln, err := net.Listen("tcp", net.JoinHostPort(o.Host, strconv.Itoa(uiPort)))
		if err != nil {
			return nil, fmt.Errorf("devtemporal: UI port %d on %s is not available: %w", uiPort, o.Host, err)
		}
		s.uiListener = ln
		s.uiAddr = "http://" + ln.Addr().String()
	}

	ok := false
	defer func() {
		if !ok {
			_ = s.Stop()
		}
	}()

	var defaultSQL, visibilitySQL *config.SQL
	if o.PostgresURL != "" {
		target, err := parsePostgresURL(o.PostgresURL)
		if err != nil {
			return nil, err
		}
		if defaultSQL, visibilitySQL, s.unlock, err = preparePostgres(ctx, target); err != nil {
			return nil, err
		}
	} else {
		if defaultSQL, visibilitySQL, err = sqlConfigs(o.DataDir); err != nil {
			return nil, err
		}
		if o.DataDir != "" {
			if s.unlock, err = lockDataDir(o.DataDir); err != nil {
				return nil, err
			}
		}
	}
	shards, err := historyShards(ctx, defaultSQL, o)
	if err != nil {
		return nil, err
	}

	// Pre-create the namespace (with retention and search attributes) straight
	// in the store, like the Temporal CLI dev server: it is usable as soon as
	// the frontend is up. A no-op when it already exists; ensureNamespace and
	// ensureSearchAttributes reconcile an existing one through the API.
	if err := precreateNamespace(defaultSQL, o); err != nil {
		return nil, err
	}

	srv, err := newTemporalServer(o, logger, defaultSQL, visibilitySQL, shards, servicePorts, httpPort)
	if err != nil {
		return nil, err
	}
	if err := callRecover(srv.Start); err != nil {
		_ = callRecover(srv.Stop)
		return nil, fmt.Errorf("devtemporal: starting temporal server: %w", err)
	}
	s.srv = srv

	c, err := waitForFrontend(ctx, s.frontendAddr, o.Namespace, o.Logger)
	if err != nil {
		return nil, err
	}
	defer c.Close()

	if err := ensureNamespace(ctx, c, o); err != nil {
		return nil, err
	}
	if err := ensureSearchAttributes(ctx, c, o); err != nil {
		return nil, err
	}
	if err := waitSearchAttributesUsable(ctx, c, o); err != nil {
		return nil, err
	}

	if s.uiListener != nil {
		if err := s.startUI(ctx, o); err != nil {
			return nil, err
		}
	}

	ok = true
	return s, nil
}

// Stop stops the UI and then the server. It is safe to call more than once;
// later calls return the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.ui != nil {
			s.ui.Stop()
		}
		if s.uiListener != nil {
			if err := s.uiListener.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, fmt.Errorf("closing UI listener: %w", err))
			}
		}
		if s.uiDone != nil {
			select {
			case <-s.uiDone:
			case <-time.After(uiStopTimeout):
				errs = append(errs, errors.New("UI server did not stop in time"))
			}
		}
		if s.srv != nil {
			// Shutdown produces expected warnings (pollers cut off, dials to
			// services already gone): only let errors through meanwhile.
			s.logLevel.Set(slog.LevelError)
			if err := callRecover(s.srv.Stop); err != nil {
				errs = append(errs, fmt.Errorf("stopping temporal server: %w", err))
			}
		}
		// A few gRPC client connections inside the server (and the UI's) are
		// never closed upstream and keep redialing with backoff: silence them.
		s.logLevel.Set(logLevelOff)
		if s.unlock != nil {
			s.unlock()
		}
		if len(errs) > 0 {
			s.stopErr = fmt.Errorf("devtemporal: stop: %w", errors.Join(errs...))
		}
	})
	return s.stopErr
}

// sqlConfigs returns the SQLite configs for the default and visibility stores.
//
// File mode: the sqlite plugin turns every ConnectAttribute that is not a
// SQLite URI parameter (mode, cache, ...) into a `_pragma=key=value` DSN
// parameter, which modernc.org/sqlite runs on each new connection. So
// journal_mode=WAL / synchronous=NORMAL / busy_timeout go there. "setup=true"
// makes the plugin create the schema on first connection and treat
// "table already exists" as success, so an existing file is reused as is.
func sqlConfigs(dataDir string) (def, vis *config.SQL, err error) {
	if dataDir == "" {
		suffix, err := randomSuffix()
		if err != nil {
			return nil, nil, err
		}
		mem := func(kind string) *config.SQL {
			return &config.SQL{
				PluginName:   sqliteplugin.PluginName,
				DatabaseName: "devtemporal-" + kind + "-" + suffix,
				// Memory mode: the plugin creates the schema when it opens the DB.
				ConnectAttributes: map[string]string{"mode": "memory", "cache": "shared"},
			}
		}
		return mem("default"), mem("visibility"), nil
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("devtemporal: creating DataDir: %w", err)
	}
	file := func(name string) *config.SQL {
		return &config.SQL{
			PluginName:   sqliteplugin.PluginName,
			DatabaseName: filepath.Join(dataDir, name),
			ConnectAttributes: map[string]string{
				"mode":         "rwc",
				"setup":        "true",
				"journal_mode": "WAL",
				"synchronous":  "NORMAL",
				"busy_timeout": "10000",
			},
			// One connection per file (the plugin default): WAL would allow
			// more readers, but a single connection never sees SQLITE_BUSY.
			MaxConns:     1,
			MaxIdleConns: 1,
		}
	}
	return file(DefaultDBFile), file(VisibilityDBFile), nil
}

// historyShards returns the shard count to start with: the one recorded in
// the store, which o.HistoryShards may only confirm, or for a new store
// o.HistoryShards or the default. (The server itself would silently keep the
// recorded count and log a warning.)
func historyShards(ctx context.Context, defaultSQL *config.SQL, o Options) (int32, error) {
	want := int32(o.HistoryShards)
	if want == 0 {
		want = defaultSQLiteShards
		if o.PostgresURL != "" {
			want = defaultPostgresShards
		}
	}
	if o.DataDir == "" && o.PostgresURL == "" {
		return want, nil // in-memory: always a new store
	}
	stored, err := storedShardCount(ctx, defaultSQL)
	if err != nil {
		return 0, err
	}
	switch {
	case stored == 0:
		return want, nil
	case o.HistoryShards != 0 && int32(o.HistoryShards) != stored:
		return 0, fmt.Errorf("devtemporal: the store %s was created with %d history shards and cannot change to HistoryShards %d "+
			"(use a new store, or HistoryShards 0 to keep %d)", defaultSQL.DatabaseName, stored, o.HistoryShards, stored)
	default:
		return stored, nil
	}
}

func precreateNamespace(sqlCfg *config.SQL, o Options) error {
	attrs := make(map[string]enumspb.IndexedValueType, len(o.SearchAttributes))
	for _, name := range o.SearchAttributes {
		attrs[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	// Despite the package name, NewNamespaceConfig and CreateNamespaces work
	// with any SQL plugin (they go through the generic sqlplugin.DB).
	nsCfg, err := sqliteschema.NewNamespaceConfig(clusterName, o.Namespace, false, attrs)
	if err != nil {
		return fmt.Errorf("devtemporal: namespace config: %w", err)
	}
	nsCfg.Detail.Config.Retention = durationpb.New(o.Retention)
	if err := callRecover(func() error { return sqliteschema.CreateNamespaces(sqlCfg, nsCfg) }); err != nil {
		return fmt.Errorf("devtemporal: creating namespace %q in store %s: %w", o.Namespace, sqlCfg.DatabaseName, err)
	}
	return nil
}

func newTemporalServer(
	o Options,
	logger serverLogger,
	defaultSQL, visibilitySQL *config.SQL,
	shards int32,
	ports map[primitives.ServiceName]int,
	httpPort int,
) (temporal.Server, error) {
	addr := func(svc primitives.ServiceName) string {
		return net.JoinHostPort(o.Host, strconv.Itoa(ports[svc]))
	}
	frontendAddr := addr(primitives.FrontendService)

	cfg := &config.Config{}
	cfg.Global.Membership.MaxJoinDuration = 30 * time.Second
	cfg.Global.Membership.BroadcastAddress = o.Host
	cfg.Persistence = config.Persistence{
		DefaultStore:     defaultStoreName,
		VisibilityStore:  visibilityStoreName,
		NumHistoryShards: shards,
		DataStores: map[string]config.DataStore{
			defaultStoreName:    {SQL: defaultSQL},
			visibilityStoreName: {SQL: visibilitySQL},
		},
	}
	cfg.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontendAddr,
				HTTPAddress:            net.JoinHostPort(o.Host, strconv.Itoa(httpPort)),
			},
		},
	}
	cfg.DCRedirectionPolicy.Policy = "noop"
	cfg.Services = make(map[string]config.Service, len(ports))
	for svc, port := range ports {
		var sc config.Service
		sc.RPC.GRPCPort = port
		sc.RPC.BindOnIP = o.Host
		if svc == primitives.FrontendService {
			sc.RPC.HTTPPort = httpPort
		}
		cfg.Services[string(svc)] = sc
	}
	cfg.Archival.History.State = "disabled"
	cfg.Archival.Visibility.State = "disabled"
	cfg.NamespaceDefaults.Archival.History.State = "disabled"
	cfg.NamespaceDefaults.Archival.Visibility.State = "disabled"
	cfg.PublicClient.HostPort = frontendAddr

	hosts := make(map[primitives.ServiceName]static.Hosts, len(ports))
	for svc := range ports {
		hosts[svc] = static.SingleLocalHost(addr(svc))
	}

	var srv temporal.Server
	err := callRecover(func() error {
		var err error
		srv, err = temporal.NewServer(
			temporal.WithConfig(cfg),
			temporal.ForServices(temporal.DefaultServices),
			temporal.WithStaticHosts(hosts),
			temporal.WithLogger(logger),
			temporal.WithDynamicConfigClient(dynamicConfig()),
		)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("devtemporal: creating temporal server: %w", err)
	}
	return srv, nil
}

// dynamicConfig tunes the server for one node, one local worker and a UI.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// Default is 4 partitions per task queue. With a single local worker
		// polling, tasks landing on a partition without a waiting poller are
		// only picked up after forwarding/poll rotation: a ~5 s tail on
		// 15-20% of workflows. One partition removes it.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		// Newly added search attributes are usable at once instead of after
		// the search-attribute cache refresh.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		// Visibility defaults to 10 RPS per namespace: the UI (which polls
		// lists and counts) plus app queries hit that quickly.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 1000,
		// Namespace updates (UpdateNamespace, AddSearchAttributes) default to
		// 1 RPS per namespace; Start issues them back to back.
		dynamicconfig.FrontendMaxNamespaceNamespaceReplicationInducingAPIsRPSPerInstance.Key(): 100,
		dynamicconfig.FrontendNamespaceReplicationInducingAPIsRPS.Key():                        100,
		// The task-queue and history scanners and the parent-close-policy
		// processor run SDK workers that the server never stops (upstream
		// TODO in service/worker/scanner): after Stop they keep polling a dead
		// port, which leaks goroutines and log noise in tests that start
		// several servers. The scanners are DB maintenance a dev store does
		// not need; with the parent-close-policy worker off, history applies
		// parent close policies inline for any number of children.
		dynamicconfig.TaskQueueScannerEnabled.Key():       false,
		dynamicconfig.HistoryScannerEnabled.Key():         false,
		dynamicconfig.EnableParentClosePolicyWorker.Key(): false,
		// Generous general limits: a dev box should never be throttled.
		dynamicconfig.FrontendRPS.Key():                        10000,
		dynamicconfig.FrontendMaxNamespaceRPSPerInstance.Key(): 10000,
	}
}

func waitForFrontend(ctx context.Context, addr, namespace string, appLogger *slog.Logger) (client.Client, error) {
	sdkLogger := sdklog.NewStructuredLogger(slog.New(minLevelHandler{min: slog.LevelError, h: appLogger.Handler()}).
		With("component", "devtemporal-client"))
	var lastErr error
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := client.DialContext(attemptCtx, client.Options{
			HostPort:  addr,
			Namespace: namespace,
			Logger:    sdkLogger,
		})
		if err == nil {
			_, err = c.WorkflowService().DescribeNamespace(attemptCtx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
			if err == nil {
				cancel()
				return c, nil
			}
			c.Close()
		}
		cancel()
		lastErr = err
		if err := subproc.Sleep(ctx, pollInterval); err != nil {
			return nil, fmt.Errorf("devtemporal: frontend %s did not become ready: %w (last error: %v)", addr, err, lastErr)
		}
	}
}

func ensureNamespace(ctx context.Context, c client.Client, o Options) error {
	resp, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: o.Namespace})
	if err != nil {
		return fmt.Errorf("devtemporal: describing namespace %q: %w", o.Namespace, err)
	}
	if resp.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration() == o.Retention {
		return nil
	}
	_, err = c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: o.Namespace,
		Config: &namespacepb.NamespaceConfig{
			WorkflowExecutionRetentionTtl: durationpb.New(o.Retention),
		},
	})
	if err != nil {
		return fmt.Errorf("devtemporal: setting retention of namespace %q to %s: %w", o.Namespace, o.Retention, err)
	}
	return nil
}

func ensureSearchAttributes(ctx context.Context, c client.Client, o Options) error {
	if len(o.SearchAttributes) == 0 {
		return nil
	}
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: o.Namespace})
	if err != nil {
		return fmt.Errorf("devtemporal: listing search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range o.SearchAttributes {
		t, ok := list.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		case t != enumspb.INDEXED_VALUE_TYPE_KEYWORD:
			return fmt.Errorf("devtemporal: search attribute %q already exists with type %s, want Keyword", name, t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        o.Namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("devtemporal: adding search attributes: %w", err)
	}
	return nil
}

// waitSearchAttributesUsable polls a visibility query naming every custom
// search attribute until the frontend accepts it (the namespace registry
// picks up new aliases on its next refresh, within a few seconds).
func waitSearchAttributesUsable(ctx context.Context, c client.Client, o Options) error {
	if len(o.SearchAttributes) == 0 {
		return nil
	}
	clauses := make([]string, len(o.SearchAttributes))
	for i, name := range o.SearchAttributes {
		clauses[i] = fmt.Sprintf("%s = '__devtemporal_probe__'", name)
	}
	query := strings.Join(clauses, " AND ")
	for {
		_, err := c.WorkflowService().ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: o.Namespace,
			PageSize:  1,
			Query:     query,
		})
		if err == nil {
			return nil
		}
		if serr := subproc.Sleep(ctx, pollInterval); serr != nil {
			return fmt.Errorf("devtemporal: search attributes not usable in a visibility query: %w", err)
		}
	}
}

func (s *Server) startUI(ctx context.Context, o Options) error {
	port := s.uiListener.Addr().(*net.TCPAddr).Port
	cfg := &uiconfig.Config{
		Host:                o.Host,
		Port:                port,
		TemporalGRPCAddress: s.frontendAddr,
		EnableUI:            true,
		DefaultNamespace:    o.Namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
		DisableNewsFetch:    true,
	}
	err := callRecover(func() error {
		s.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(cfg))
		return nil
	})
	if err != nil {
		return fmt.Errorf("devtemporal: creating UI server: %w", err)
	}
	if !useListener(s.ui, s.uiListener) {
		// Fallback for a ui-server whose layout changed: release the port just
		// before the UI binds it itself.
		_ = s.uiListener.Close()
	}
	s.uiDone = make(chan struct{})
	go func() {
		defer close(s.uiDone)
		_ = s.ui.Start()
	}()

	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.uiAddr+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /healthz: %s", resp.Status)
		}
		if serr := subproc.Sleep(ctx, pollInterval); serr != nil {
			return fmt.Errorf("devtemporal: UI at %s did not become ready: %w", s.uiAddr, err)
		}
	}
}

// useListener hands our already-bound listener to the UI's echo instance.
// ui-server's Start binds the port itself and calls Logger.Fatal (os.Exit)
// when that fails; with a pre-bound listener a busy port is reported by Start
// as an error instead and there is no window for another process to grab it.
func useListener(ui *uiserver.Server, ln net.Listener) bool {
	v := reflect.ValueOf(ui).Elem().FieldByName("httpServer")
	if !v.IsValid() || v.Type() != reflect.TypeFor[*echo.Echo]() {
		return false
	}
	e := *(**echo.Echo)(unsafe.Pointer(v.UnsafeAddr()))
	if e == nil {
		return false
	}
	e.Listener = ln
	return true
}

// pickPort picks the server's ports (a variable so a test can hand out a taken one).
var pickPort = freePort

func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func checkPortFree(host string, port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return ln.Close()
}

func randomSuffix() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("devtemporal: random name: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// callRecover runs f, turning a panic (e.g. from the logger's Fatal) into an error.
func callRecover(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("panic: %w", e)
			} else {
				err = fmt.Errorf("panic: %v", r)
			}
		}
	}()
	return f()
}
