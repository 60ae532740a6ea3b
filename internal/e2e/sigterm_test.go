package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// devProcess is cmd/convrelay-dev running as a real process, as `make run` runs it.
type devProcess struct {
	cmd  *exec.Cmd
	done chan error
	info struct {
		APIBase   string `json:"api_base"`
		AdminKey  string `json:"admin_key"`
		AccountID string `json:"account_id"`
		DemoToken string `json:"demo_token"`
	}
}

func buildDevBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "convrelay-dev")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/convrelay/convrelay/cmd/convrelay-dev")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build convrelay-dev: %v\n%s", err, out)
	}
	return bin
}

func startDevProcess(t *testing.T, bin, dir string, env []string) *devProcess {
	t.Helper()
	_ = os.Remove(filepath.Join(dir, "dev.json.ready"))
	p := &devProcess{cmd: exec.Command(bin), done: make(chan error, 1)}
	// No rates schedule: it would fetch from the ECB, and tests stay on loopback.
	p.cmd.Env = append(append(os.Environ(), "CONVRELAY_RATES_SCHEDULE=false"), env...)
	logFile, err := os.OpenFile(filepath.Join(dir, "process.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait(); logFile.Close() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(60 * time.Second):
				_ = p.cmd.Process.Kill()
			}
		}
	})
	eventually(t, "dev process serving", 90*time.Second, func() error {
		select {
		case err := <-p.done:
			p.done <- err
			raw, _ := os.ReadFile(filepath.Join(dir, "process.log"))
			t.Fatalf("dev process exited: %v\n%s", err, raw)
		default:
		}
		raw, err := os.ReadFile(filepath.Join(dir, "dev.json"))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &p.info); err != nil || p.info.APIBase == "" {
			return fmt.Errorf("dev.json not complete yet")
		}
		resp, err := http.Get(p.info.APIBase + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %d", resp.StatusCode)
		}
		return nil
	})
	return p
}

// TestSIGTERMDuringBurstLosesNothing sends SIGTERM to the running product during a
// burst of postbacks: it exits 0, and after a restart every postback that was
// answered "accepted" is processed, once.
func TestSIGTERMDuringBurstLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the dev binary")
	}
	bin := buildDevBinary(t)
	dir := t.TempDir()
	env := []string{
		"CONVRELAY_DATA_DIR=" + dir,
		"HTTP_ADDR=127.0.0.1:" + strconv.Itoa(freePort(t)),
		"CONVRELAY_DEV_PG_PORT=" + strconv.Itoa(freePort(t)),
		"CONVRELAY_DEV_TEMPORAL_PORT=" + strconv.Itoa(freePort(t)),
		"CONVRELAY_DEV_UI_PORT=-2",
		"CONVRELAY_LOG_LEVEL=warn",
		"DATABASE_URL=", "TEMPORAL_ADDRESS=",
	}
	p := startDevProcess(t, bin, dir, env)
	base := p.info.APIBase + "/" + p.info.AccountID + "/collect/demo?token=" + url.QueryEscape(p.info.DemoToken) + "&click_id=c&commission=2&transaction_id="

	var mu sync.Mutex
	var accepted []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tx := fmt.Sprintf("SIG-%d-%d", w, i)
				resp, err := client.Get(base + tx)
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					accepted = append(accepted, tx)
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			raw, _ := os.ReadFile(filepath.Join(dir, "process.log"))
			t.Fatalf("exit after SIGTERM: %v (want 0)\n%s", err, raw)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("did not exit within 90s of SIGTERM")
	}
	close(stop)
	wg.Wait()
	if len(accepted) == 0 {
		t.Fatal("no postback was accepted before SIGTERM")
	}
	t.Logf("%d postbacks accepted before shutdown", len(accepted))

	p2 := startDevProcess(t, bin, dir, env)
	eventually(t, "every accepted postback processed after restart", 180*time.Second, func() error {
		req, _ := http.NewRequest("GET", p2.info.APIBase+"/v1/accounts/"+p2.info.AccountID+"/conversions?limit=500", nil)
		req.Header.Set("Authorization", "Bearer "+p2.info.AdminKey)
		seen := map[string]int{}
		var cursor string
		for {
			u := req.URL.String()
			if cursor != "" {
				r2, _ := http.NewRequest("GET", u+"&cursor="+cursor, nil)
				r2.Header = req.Header
				req = r2
			}
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			var body struct {
				Conversions []struct {
					TransactionID string `json:"transaction_id"`
				} `json:"conversions"`
				NextCursor *string `json:"next_cursor"`
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			for _, c := range body.Conversions {
				seen[c.TransactionID]++
			}
			if body.NextCursor == nil {
				break
			}
			cursor = *body.NextCursor
			req, _ = http.NewRequest("GET", p2.info.APIBase+"/v1/accounts/"+p2.info.AccountID+"/conversions?limit=500", nil)
			req.Header.Set("Authorization", "Bearer "+p2.info.AdminKey)
		}
		for _, tx := range accepted {
			if seen[tx] != 1 {
				return fmt.Errorf("transaction %s has %d conversions (of %d accepted, %d seen)", tx, seen[tx], len(accepted), len(seen))
			}
		}
		return nil
	})
}
