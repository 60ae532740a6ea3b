package api_test

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/convrelay/convrelay/internal/store"
)

// temporalHealthService is the workflow service name the SDK's CheckHealth asks
// the frontend's standard gRPC health service about.
const temporalHealthService = "temporal.api.workflowservice.v1.WorkflowService"

// systemInfoOnly is a Temporal frontend that answers only GetSystemInfo, which
// the SDK asks once before its first call.
type systemInfoOnly struct {
	workflowservice.UnimplementedWorkflowServiceServer
}

func (systemInfoOnly) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{}, nil
}

// fakeFrontend serves, on 127.0.0.1, the two things the SDK's CheckHealth talks
// to: GetSystemInfo and the standard gRPC health service.
func fakeFrontend(t *testing.T) (addr string, h *health.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	h = health.NewServer()
	h.SetServingStatus(temporalHealthService, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, h)
	workflowservice.RegisterWorkflowServiceServer(srv, systemInfoOnly{})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String(), h
}

// closedAddr is a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func lazyTemporal(t *testing.T, addr string) client.Client {
	t.Helper()
	c, err := client.NewLazyClient(client.Options{HostPort: addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// unreachableStore is a store whose PostgreSQL does not answer (the pool
// connects lazily, so building it succeeds, as it would have at start-up).
func unreachableStore(t *testing.T) *store.Store {
	t.Helper()
	host, port, _ := net.SplitHostPort(closedAddr(t))
	pool, err := pgxpool.New(context.Background(), "postgres://convrelay@"+host+":"+port+"/convrelay?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &store.Store{Pool: pool}
}

// TestReadyzAnswers503WhenADependencyIsUnreachable: a load balancer must stop
// sending traffic to a replica whose PostgreSQL or Temporal does not answer, and
// the answer names which one without internal error text.
func TestReadyzAnswers503WhenADependencyIsUnreachable(t *testing.T) {
	frontend, healthSrv := fakeFrontend(t)
	cases := []struct {
		name             string
		opts             harnessOptions
		status           int
		postgres, tempor string
	}{
		{"both answer", harnessOptions{temporal: lazyTemporal(t, frontend)}, 200, "ok", "ok"},
		{"temporal unreachable", harnessOptions{temporal: lazyTemporal(t, closedAddr(t))}, 503, "ok", "unreachable"},
		{"postgres unreachable", harnessOptions{temporal: lazyTemporal(t, frontend), store: unreachableStore(t)}, 503, "unreachable", "ok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessWith(t, tc.opts)
			code, body := h.do("GET", "/readyz", "", "")
			checks, _ := body["checks"].(map[string]any)
			if code != tc.status || body["ready"] != (tc.status == 200) || checks["postgres"] != tc.postgres || checks["temporal"] != tc.tempor {
				t.Fatalf("readyz = %d %v, want %d with postgres %s, temporal %s", code, body, tc.status, tc.postgres, tc.tempor)
			}
			// Only the verdicts: no internal error text reaches the answer.
			if len(body) != 2 || len(checks) != 2 {
				t.Fatalf("readyz answers more than ready and two checks: %v", body)
			}
		})
	}

	t.Run("temporal not serving", func(t *testing.T) {
		h := newHarnessWith(t, harnessOptions{temporal: lazyTemporal(t, frontend)})
		healthSrv.SetServingStatus(temporalHealthService, healthpb.HealthCheckResponse_NOT_SERVING)
		defer healthSrv.SetServingStatus(temporalHealthService, healthpb.HealthCheckResponse_SERVING)
		if code, body := h.do("GET", "/readyz", "", ""); code != http.StatusServiceUnavailable {
			t.Fatalf("readyz with Temporal not serving = %d %v, want 503", code, body)
		}
	})
}
