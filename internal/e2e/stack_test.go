package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/devstack"
)

// stack is one running development stack (the same code `make run` runs) on free
// ports, with its data under dir.
type stack struct {
	t      *testing.T
	s      *devstack.Stack
	info   devstack.Info
	cancel context.CancelFunc
	done   chan error
}

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("E2E_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// startStack starts the stack on dir; env overrides configuration variables.
func startStack(t *testing.T, dir string, opts devstack.Options, env map[string]string) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the whole stack (skipped with -short)")
	}
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = dir
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DatabaseURL, cfg.TemporalAddress = env["DATABASE_URL"], env["TEMPORAL_ADDRESS"]
	if v, ok := env["CONVRELAY_DELIVERY_RETRY_WINDOW"]; ok {
		cfg.DeliveryWindow, _ = config.ParseDuration(v)
	}
	if v, ok := env["CONVRELAY_SETTLE_WINDOW"]; ok {
		cfg.SettleWindow, _ = config.ParseDuration(v)
	}
	if v, ok := env["CONVRELAY_RECONCILE_AFTER"]; ok {
		cfg.ReconcileAfter, _ = config.ParseDuration(v)
	}
	cfg.OTLPEndpoint = env["CONVRELAY_OTLP_ENDPOINT"]
	if opts.PGPort == 0 {
		opts.PGPort = -1
	}
	if opts.GRPCPort == 0 {
		opts.GRPCPort = -1
	}
	if opts.UIPort == 0 {
		opts.UIPort = -2
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := devstack.Start(ctx, cfg, opts, testLogger(t))
	if err != nil {
		cancel()
		t.Fatalf("start stack: %v", err)
	}
	st := &stack{t: t, s: s, cancel: cancel, done: make(chan error, 1)}
	announced := make(chan devstack.Info, 1)
	go func() { st.done <- s.Run(ctx, func(i devstack.Info) { announced <- i }) }()
	select {
	case st.info = <-announced:
	case err := <-st.done:
		t.Fatalf("stack stopped: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("stack did not announce itself within 60s")
	}
	t.Cleanup(st.stop)
	return st
}

func (st *stack) stop() {
	if st.cancel == nil {
		return
	}
	st.cancel()
	select {
	case err := <-st.done:
		if err != nil {
			st.t.Errorf("stack run: %v", err)
		}
	case <-time.After(60 * time.Second):
		st.t.Error("stack did not stop within 60s")
	}
	st.s.Stop()
	st.cancel = nil
}

// call sends a request to the API and decodes the JSON answer.
func (st *stack) call(method, path, contentType, body string) (int, map[string]any) {
	st.t.Helper()
	req, err := st.request(method, path, contentType, body)
	if err != nil {
		st.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			st.t.Fatalf("%s %s answered %d non-JSON %q", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

// request is a request to the API with the credentials its path needs: the
// admin key for /v1/, the demo stack's intake tokens (its integrations are closed).
func (st *stack) request(method, path, contentType, body string) (*http.Request, error) {
	req, err := http.NewRequest(method, st.info.APIBase+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if strings.HasPrefix(path, "/v1/") {
		req.Header.Set("Authorization", "Bearer "+st.info.AdminKey)
	}
	if strings.Contains(path, "/collect/demo") {
		req.Header.Set("X-Convrelay-Token", st.info.DemoToken)
	} else if strings.HasPrefix(path, "/pb") || strings.HasPrefix(path, "/"+st.info.AccountID+"/pb") {
		req.Header.Set("X-Convrelay-Token", st.info.PBToken)
	}
	return req, nil
}

func (st *stack) admin(method, path, body string) (int, map[string]any) {
	return st.call(method, "/v1/accounts/"+st.info.AccountID+path, "application/json", body)
}

// eventually polls f until it returns nil or the deadline passes.
func eventually(t *testing.T, what string, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not true after %s: %v", what, timeout, err)
}

// conversions lists conversions by transaction id through the admin API.
func (st *stack) conversions(txID string) []map[string]any {
	st.t.Helper()
	return st.listed("/conversions?transaction_id="+txID, "conversions")
}

// listed reads an admin list (GET path) and returns its items, the array under key.
func (st *stack) listed(path, key string) []map[string]any {
	st.t.Helper()
	code, body := st.admin("GET", path, "")
	if code != http.StatusOK {
		st.t.Fatalf("GET %s: %d %v", path, code, body)
	}
	var out []map[string]any
	for _, item := range body[key].([]any) {
		out = append(out, item.(map[string]any))
	}
	return out
}

// findWorkflows runs a visibility query and returns the workflow ids it lists.
func (st *stack) findWorkflows(query string) ([]string, error) {
	resp, err := st.s.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range resp.Executions {
		ids = append(ids, e.Execution.WorkflowId)
	}
	return ids, nil
}

func (st *stack) waitWorkflow(t *testing.T, query, wantID string) {
	t.Helper()
	eventually(t, "visibility query "+query, 30*time.Second, func() error {
		ids, err := st.findWorkflows(query)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if id == wantID {
				return nil
			}
		}
		return fmt.Errorf("found %v", ids)
	})
}
