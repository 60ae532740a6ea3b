package subproc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartStopKill(t *testing.T) {
	log := filepath.Join(t.TempDir(), "p.log")
	p, err := Start("sleeper", "/bin/sleep", []string{"30"}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := p.Exited(); ok {
		t.Fatal("exited at once")
	}
	if err := p.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if ok, _ := p.Exited(); !ok {
		t.Fatal("not exited after Stop")
	}
	if err := p.Kill(); err != nil {
		t.Fatalf("Kill after exit: %v", err)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "=== sleeper [30] started") || !strings.Contains(string(b), "=== sleeper exited") {
		t.Fatalf("log: %q", b)
	}

	k, err := Start("victim", "/bin/sleep", []string{"30"}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Kill(); err != nil {
		t.Fatal(err)
	}
	if ok, err := k.Exited(); !ok || err == nil {
		t.Fatalf("after SIGKILL: exited %v, err %v", ok, err)
	}
}

func TestFreePortAndSleep(t *testing.T) {
	if port, err := FreePort(); err != nil || port <= 0 {
		t.Fatalf("FreePort: %d, %v", port, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("Sleep on an ended context: %v", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

// A child starts without the product settings of the shell that ran the drill
// or the bench, and with everything else.
func TestEnvWithoutSettings(t *testing.T) {
	for _, name := range []string{"DATABASE_URL", "HTTP_ADDR", "TEMPORAL_ADDRESS", "CONVRELAY_SECRET_KEY"} {
		t.Setenv(name, "from the shell")
	}
	t.Setenv("SUBPROC_TEST_KEPT", "kept")
	env := EnvWithoutSettings()
	kept := false
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "SUBPROC_TEST_KEPT":
			kept = true
		case name == "DATABASE_URL" || name == "HTTP_ADDR" || strings.HasPrefix(name, "TEMPORAL_") || strings.HasPrefix(name, "CONVRELAY_"):
			t.Errorf("kept the product setting %s", kv)
		}
	}
	if !kept {
		t.Error("dropped SUBPROC_TEST_KEPT, which is not a product setting")
	}
}
