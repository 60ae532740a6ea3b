package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/devtemporal"
	"github.com/convrelay/convrelay/internal/pgserver"
	"github.com/convrelay/convrelay/internal/subproc"
	"github.com/convrelay/convrelay/workflows"
)

// TestDeadReplicaRowsTakenOver runs the production binary as separate processes
// on one PostgreSQL and one Temporal: a worker and two API replicas, A and B.
// A loses its connection to Temporal (so it can accept postbacks but not hand
// them over), accepts a batch, and is killed with SIGKILL while it still holds
// them. B must take them over once A's claims are older than
// CONVRELAY_DISPATCH_STALE_AFTER, and every postback must be applied once: one
// conversion per transaction, with exactly its two transitions. On the way it
// checks that the retry and settle windows set in the environment reach the
// workflows the dispatcher starts.
func TestDeadReplicaRowsTakenOver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the production binary")
	}
	const (
		staleAfter     = 5 * time.Second
		deliveryWindow = 7 * time.Minute
		settleWindow   = 9 * 24 * time.Hour
	)
	dir := t.TempDir()
	ctx := context.Background()

	pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(dir, "pg"), Fast: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = pg.Stop() })
	if err := pg.EnsureDatabase(ctx, "convrelay"); err != nil {
		t.Fatal(err)
	}
	tsrv, err := devtemporal.Start(ctx, devtemporal.Options{UIPort: -1, SearchAttributes: workflows.SearchAttributeNames,
		Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("start Temporal: %v", err)
	}
	t.Cleanup(func() { _ = tsrv.Stop() })

	bin := filepath.Join(dir, "convrelay")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/convrelay/convrelay/cmd/convrelay").CombinedOutput(); err != nil {
		t.Fatalf("build convrelay: %v\n%s", err, out)
	}
	env := withEnv(replicaEnv(pg.URL("convrelay"), tsrv.FrontendAddress(), staleAfter),
		"CONVRELAY_DELIVERY_RETRY_WINDOW=7m", "CONVRELAY_SETTLE_WINDOW=9d")
	if out, err := runOnce(bin, env, "migrate"); err != nil {
		t.Fatalf("convrelay migrate: %v\n%s", err, out)
	}
	out, err := runOnce(bin, env, "create-account", "takeover")
	if err != nil {
		t.Fatalf("convrelay create-account: %v\n%s", err, out)
	}
	account, key := field(out, "account_id"), field(out, "admin_key")

	startReplicaProc(t, dir, "worker", bin, env, "worker")
	proxy := newCuttableProxy(t, tsrv.FrontendAddress())
	baseA := "http://127.0.0.1:" + strconv.Itoa(freePort(t))
	baseB := "http://127.0.0.1:" + strconv.Itoa(freePort(t))
	a := startReplicaProc(t, dir, "api-a", bin, withEnv(env, "HTTP_ADDR="+strings.TrimPrefix(baseA, "http://"),
		"TEMPORAL_ADDRESS="+proxy.addr()), "api")
	startReplicaProc(t, dir, "api-b", bin, withEnv(env, "HTTP_ADDR="+strings.TrimPrefix(baseB, "http://")), "api")
	for _, base := range []string{baseA, baseB} {
		eventually(t, base+" ready", 60*time.Second, func() error { return wantStatus(base+"/readyz", http.StatusOK) })
	}
	code, body := replicaCall(t, "POST", baseB+"/v1/accounts/"+account+"/integrations", key,
		`{"slug":"net","preset":"custom","token":"t0ken"}`)
	if code != http.StatusCreated {
		t.Fatalf("create integration: %d %v", code, body)
	}

	// A can no longer reach Temporal: what it accepts now stays claimed by it.
	proxy.cut()
	eventually(t, "replica A sees Temporal gone", 30*time.Second, func() error {
		return wantStatus(baseA+"/readyz", http.StatusServiceUnavailable)
	})
	const transactions = 20
	for i := 0; i < transactions; i++ {
		for _, status := range []string{"pending", "approved"} {
			u := fmt.Sprintf("%s/%s/collect/net?token=t0ken&click_id=c%d&transaction_id=TK-%d&commission=2.50&status=%s",
				baseA, account, i, i, status)
			if code, body := replicaCall(t, "GET", u, "", ""); code != http.StatusOK || body["status"] != "accepted" {
				t.Fatalf("postback to A answered %d %v", code, body)
			}
		}
	}
	killed := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.done

	// The promise: taken over after the stale delay. The bound adds generous room
	// for a loaded machine to run 20 workflows, but not a second stale period of
	// a default minute.
	eventually(t, "B applied every postback A accepted", staleAfter+45*time.Second, func() error {
		return everyTransactionApplied(t, baseB, account, key, transactions)
	})
	t.Logf("all %d postbacks applied %s after A was killed (stale after %s)", 2*transactions, time.Since(killed).Round(time.Millisecond), staleAfter)

	// Applied once, not merely present: a second look after the dispatcher has had
	// time to sweep again finds exactly the same.
	time.Sleep(2 * time.Second)
	if err := everyTransactionApplied(t, baseB, account, key, transactions); err != nil {
		t.Fatal(err)
	}

	// The configured windows reach the workflow B started: its input carries
	// CONVRELAY_DELIVERY_RETRY_WINDOW and CONVRELAY_SETTLE_WINDOW, not the defaults.
	tc, err := client.Dial(client.Options{HostPort: tsrv.FrontendAddress(), Logger: tlog.NewStructuredLogger(testLogger(t))})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	it := tc.GetWorkflowHistory(ctx, conv.WorkflowID(account, "TK-0"), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	first, err := it.Next()
	if err != nil {
		t.Fatal(err)
	}
	var in workflows.Input
	if err := converter.GetDefaultDataConverter().FromPayloads(first.GetWorkflowExecutionStartedEventAttributes().GetInput(), &in); err != nil {
		t.Fatal(err)
	}
	if in.DeliveryWindow != deliveryWindow || in.SettleWindow != settleWindow {
		t.Fatalf("workflow input windows: delivery %s, settle %s; want %s and %s from the environment",
			in.DeliveryWindow, in.SettleWindow, deliveryWindow, settleWindow)
	}
}

// everyTransactionApplied checks one approved 2.50 conversion per transaction,
// each with exactly the two transitions its two postbacks cause.
func everyTransactionApplied(t *testing.T, base, account, key string, n int) error {
	code, body := replicaCall(t, "GET", base+"/v1/accounts/"+account+"/conversions?limit=500", key, "")
	if code != http.StatusOK {
		return fmt.Errorf("list conversions: %d %v", code, body)
	}
	list, _ := body["conversions"].([]any)
	seen := map[string]int{}
	for _, c := range list {
		conv := c.(map[string]any)
		tx, _ := conv["transaction_id"].(string)
		seen[tx]++
		if conv["status"] != "approved" || conv["value"] != "2.5" {
			return fmt.Errorf("conversion %s is %v %v, want approved 2.5", tx, conv["status"], conv["value"])
		}
		id := strconv.FormatFloat(conv["id"].(float64), 'f', 0, 64)
		code, one := replicaCall(t, "GET", base+"/v1/accounts/"+account+"/conversions/"+id, key, "")
		history, _ := one["history"].([]any)
		if code != http.StatusOK || len(history) != 2 {
			return fmt.Errorf("conversion %s history = %v, want 2 transitions (pending, approved)", tx, one["history"])
		}
	}
	for i := 0; i < n; i++ {
		if tx := "TK-" + strconv.Itoa(i); seen[tx] != 1 {
			return fmt.Errorf("transaction %s has %d conversions, want 1 (%d transactions seen)", tx, seen[tx], len(seen))
		}
	}
	if len(seen) != n {
		return fmt.Errorf("%d transactions, want %d", len(seen), n)
	}
	return nil
}

// replicaEnv is the processes' environment: ours without any Convrelay setting,
// plus the shared database and Temporal.
func replicaEnv(dbURL, temporal string, staleAfter time.Duration) []string {
	return append(subproc.EnvWithoutSettings(), "DATABASE_URL="+dbURL, "TEMPORAL_ADDRESS="+temporal, "CONVRELAY_LOG_LEVEL=warn",
		"CONVRELAY_LOG_FORMAT=text", "CONVRELAY_DISPATCH_STALE_AFTER="+staleAfter.String(),
		"CONVRELAY_SECRET_KEY="+workerSecretKey, "CONVRELAY_DESTINATION_ALLOW=127.0.0.1/32", "CONVRELAY_RATES_SCHEDULE=false")
}

// withEnv returns env with the given NAME=value settings replacing earlier ones.
func withEnv(env []string, kvs ...string) []string {
	out := append([]string(nil), env...)
	for _, kv := range kvs {
		name, _, _ := strings.Cut(kv, "=")
		for i, e := range out {
			if strings.HasPrefix(e, name+"=") {
				out[i] = ""
			}
		}
		out = append(out, kv)
	}
	clean := out[:0]
	for _, e := range out {
		if e != "" {
			clean = append(clean, e)
		}
	}
	return clean
}

func runOnce(bin string, env []string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// field reads NAME=value from create-account's output.
func field(out, name string) string {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+"="); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

type replicaProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startReplicaProc starts one product process with its output in dir/name.log;
// it is stopped (SIGTERM, then SIGKILL) when the test ends.
func startReplicaProc(t *testing.T, dir, name, bin string, env []string, args ...string) *replicaProc {
	t.Helper()
	logFile, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	p := &replicaProc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); logFile.Close(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
			return
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			raw, _ := os.ReadFile(filepath.Join(dir, name+".log"))
			t.Logf("%s log:\n%s", name, raw)
		}
	})
	return p
}

func wantStatus(u string, want int) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s answered %d, want %d", u, resp.StatusCode, want)
	}
	return nil
}

func replicaCall(t *testing.T, method, u, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, map[string]any{"error": err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// cuttableProxy forwards TCP to a target until cut: then it closes its listener
// and every connection, so the client sees Temporal as unreachable.
type cuttableProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func newCuttableProxy(t *testing.T, target string) *cuttableProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttableProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.cut)
	return p
}

func (p *cuttableProxy) addr() string { return p.ln.Addr().String() }

func (p *cuttableProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			up.Close()
			return
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

func (p *cuttableProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
}
