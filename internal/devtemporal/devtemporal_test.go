package devtemporal

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/convrelay/convrelay/internal/pgtest"
)

// The PostgreSQL tests use the shared test cluster (skipped with -short); the
// SQLite ones never touch it.
func TestMain(m *testing.M) { pgtest.Main(m) }

var testSearchAttributes = []string{"TransactionId", "ClickId", "AccountId", "ConversionStatus", "EventName"}

var (
	transactionIDKey = sdktemporal.NewSearchAttributeKeyKeyword("TransactionId")
	clickIDKey       = sdktemporal.NewSearchAttributeKeyKeyword("ClickId")
)

func greetWorkflow(ctx workflow.Context, name string) (string, error) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, clickIDKey.ValueSet("click-"+name)); err != nil {
		return "", err
	}
	return "hello " + name, nil
}

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	begin := time.Now()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("server started in %s: frontend %s, UI %q", time.Since(begin).Round(time.Millisecond), s.FrontendAddress(), s.UIAddress())
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func dial(t *testing.T, s *Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  s.FrontendAddress(),
		Namespace: s.Namespace(),
		Logger:    sdklog.NewStructuredLogger(testLogger()),
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// runGreet runs greetWorkflow to completion on a fresh worker and returns its
// workflow ID.
func runGreet(t *testing.T, c client.Client, txID string) string {
	t.Helper()
	const taskQueue = "devtemporal-test"
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(greetWorkflow)
	if err := w.Start(); err != nil {
		t.Fatalf("worker start: %v", err)
	}
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wfID := "greet-" + txID
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    wfID,
		TaskQueue:             taskQueue,
		TypedSearchAttributes: sdktemporal.NewSearchAttributes(transactionIDKey.ValueSet(txID)),
	}, greetWorkflow, txID)
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	var out string
	if err := run.Get(ctx, &out); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if want := "hello " + txID; out != want {
		t.Fatalf("workflow result = %q, want %q", out, want)
	}
	return wfID
}

// eventually retries f until it returns nil or the deadline passes.
func eventually(t *testing.T, what string, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %s: %v", what, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// findByQuery waits until a visibility query returns exactly wfID.
func findByQuery(t *testing.T, c client.Client, namespace, query, wfID string) {
	t.Helper()
	eventually(t, "visibility query "+query, 20*time.Second, func() error {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: namespace,
			Query:     query,
		})
		if err != nil {
			return err
		}
		if n := len(resp.GetExecutions()); n != 1 {
			return fmt.Errorf("got %d executions", n)
		}
		if got := resp.GetExecutions()[0].GetExecution().GetWorkflowId(); got != wfID {
			return fmt.Errorf("got workflow %q, want %q", got, wfID)
		}
		return nil
	})
}

func TestInMemoryServerWithUI(t *testing.T) {
	s := startServer(t, Options{
		UIPort:           0,
		SearchAttributes: testSearchAttributes,
		Logger:           testLogger(),
	})
	if s.Namespace() != "default" {
		t.Fatalf("Namespace() = %q", s.Namespace())
	}
	if !strings.HasPrefix(s.FrontendAddress(), "127.0.0.1:") || !strings.HasPrefix(s.UIAddress(), "http://127.0.0.1:") {
		t.Fatalf("addresses not on 127.0.0.1: %q %q", s.FrontendAddress(), s.UIAddress())
	}
	c := dial(t, s)

	ns, err := c.WorkflowService().DescribeNamespace(context.Background(), &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	if err != nil {
		t.Fatalf("DescribeNamespace: %v", err)
	}
	if got := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != 30*24*time.Hour {
		t.Fatalf("retention = %s, want 720h", got)
	}

	// Search attributes are usable as soon as Start returns.
	if _, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: "default",
		Query:     `TransactionId = "x" AND ClickId = "y" AND AccountId = "z" AND ConversionStatus = "a" AND EventName = "b"`,
	}); err != nil {
		t.Fatalf("query naming the custom search attributes: %v", err)
	}

	txID := fmt.Sprintf("tx-%d", time.Now().UnixNano())
	wfID := runGreet(t, c, txID)
	findByQuery(t, c, "default", fmt.Sprintf(`TransactionId = "%s"`, txID), wfID)
	findByQuery(t, c, "default", fmt.Sprintf(`ClickId = "click-%s"`, txID), wfID)

	// Same query through the UI server's HTTP API.
	apiURL := s.UIAddress() + "/api/v1/namespaces/default/workflows?query=" +
		url.QueryEscape(fmt.Sprintf(`TransactionId="%s"`, txID))
	eventually(t, "UI API "+apiURL, 20*time.Second, func() error {
		resp, err := http.Get(apiURL)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", resp.Status, body)
		}
		var out struct {
			Executions []struct {
				Execution struct {
					WorkflowID string `json:"workflowId"`
				} `json:"execution"`
			} `json:"executions"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			return fmt.Errorf("decoding %s: %w", body, err)
		}
		if len(out.Executions) != 1 || out.Executions[0].Execution.WorkflowID != wfID {
			return fmt.Errorf("unexpected answer %s", body)
		}
		return nil
	})

	// A second Start on the same ports must fail with a readable error.
	_, err = Start(context.Background(), Options{
		GRPCPort: portOf(t, s.FrontendAddress()),
		UIPort:   -1,
		Logger:   testLogger(),
	})
	if err == nil || !strings.Contains(err.Error(), "not available") {
		t.Fatalf("Start on a busy port: err = %v, want 'not available'", err)
	}

	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	for _, addr := range []string{s.FrontendAddress(), strings.TrimPrefix(s.UIAddress(), "http://")} {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after Stop", addr)
		}
	}
}

func portOf(t *testing.T, hostPort string) int {
	t.Helper()
	u, err := url.Parse("tcp://" + hostPort)
	if err != nil {
		t.Fatal(err)
	}
	var p int
	if _, err := fmt.Sscan(u.Port(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPersistentRestart(t *testing.T) {
	dir := t.TempDir()
	txID := fmt.Sprintf("tx-%d", time.Now().UnixNano())

	s1 := startServer(t, Options{
		DataDir:          dir,
		UIPort:           -1,
		SearchAttributes: testSearchAttributes,
		Logger:           testLogger(),
	})
	if s1.UIAddress() != "" {
		t.Fatalf("UIAddress() = %q with the UI disabled", s1.UIAddress())
	}
	// A second server on the same DataDir is refused.
	if s, err := Start(context.Background(), Options{DataDir: dir, UIPort: -1, Logger: testLogger()}); err == nil {
		_ = s.Stop()
		t.Fatal("second Start on a DataDir in use succeeded")
	} else if !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Start on a DataDir in use: %v", err)
	}
	c1 := dial(t, s1)
	wfID := runGreet(t, c1, txID)
	findByQuery(t, c1, "default", fmt.Sprintf(`TransactionId = "%s"`, txID), wfID)
	c1.Close()
	if err := s1.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	for _, f := range []string{DefaultDBFile, VisibilityDBFile} {
		path := filepath.Join(dir, f)
		if _, err := os.Stat(path + "-wal"); err != nil {
			t.Errorf("WAL file for %s: %v", f, err)
		}
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		var mode string
		if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatalf("journal_mode of %s: %v", f, err)
		}
		_ = db.Close()
		if !strings.EqualFold(mode, "wal") {
			t.Errorf("journal_mode of %s = %q, want wal", f, mode)
		}
	}

	// The shard count recorded at the first start cannot change.
	if s, err := Start(context.Background(), Options{DataDir: dir, UIPort: -1, HistoryShards: 8, Logger: testLogger()}); err == nil {
		_ = s.Stop()
		t.Fatal("Start with another HistoryShards succeeded")
	} else if !strings.Contains(err.Error(), "created with 4 history shards") {
		t.Fatalf("Start with another HistoryShards: %v", err)
	}

	// Restart on the same DataDir and frontend port, with one more search attribute.
	s2 := startServer(t, Options{
		DataDir:          dir,
		GRPCPort:         portOf(t, s1.FrontendAddress()),
		UIPort:           -1,
		SearchAttributes: append(append([]string{}, testSearchAttributes...), "Integration"),
		Logger:           testLogger(),
	})
	c2 := dial(t, s2)
	checkAfterRestart(t, c2, wfID, txID)
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{
		{SearchAttributes: []string{"Status"}},
		{SearchAttributes: []string{"WorkflowId"}},
		{SearchAttributes: []string{"bad name"}},
		{Host: "example.com"},
		{Retention: time.Hour},
		{UIPort: -2},
		{HistoryShards: -1},
		{DataDir: "x", PostgresURL: "postgres://u@127.0.0.1:5432/db"},
		{PostgresURL: "mysql://u@127.0.0.1:3306/db"},
		{PostgresURL: "postgres://u@127.0.0.1:5432/"},
		{PostgresURL: "postgres://127.0.0.1:5432/db"},
	} {
		if _, err := Start(context.Background(), o); err == nil {
			t.Errorf("Start(%+v) succeeded, want an error", o)
		}
	}
}

// The UI must serve on the listener Start bound (see useListener).
func TestUIUsesPreboundListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ui := uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host:                "127.0.0.1",
		Port:                1,
		TemporalGRPCAddress: "127.0.0.1:1",
		HideLogs:            true,
	}))
	if !useListener(ui, ln) {
		t.Fatal("useListener could not reach the UI server's echo instance")
	}
}

// checkAfterRestart asserts a restarted server still has the completed workflow,
// finds it by TransactionId, and accepts queries on the search attribute added at
// the restart.
func checkAfterRestart(t *testing.T, c client.Client, wfID, txID string) {
	t.Helper()
	desc, err := c.DescribeWorkflowExecution(context.Background(), wfID, "")
	if err != nil {
		t.Fatalf("DescribeWorkflowExecution after restart: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus().String(); st != "Completed" {
		t.Fatalf("status after restart = %s", st)
	}
	findByQuery(t, c, "default", fmt.Sprintf(`TransactionId = "%s"`, txID), wfID)
	if _, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: "default",
		Query:     `Integration = "x"`,
	}); err != nil {
		t.Fatalf("query on the search attribute added at restart: %v", err)
	}
}
