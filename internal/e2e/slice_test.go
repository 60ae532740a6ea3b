package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/devstack"
)

// TestPostbackToWorkflowToPostgresSurvivesRestart is the foundation slice: a postback
// over HTTP is accepted, becomes a workflow found by TransactionId (through the SDK
// and the Web UI's HTTP API) and a conversion row; after a restart on the same data
// dir both are still there.
func TestPostbackToWorkflowToPostgresSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	st := startStack(t, dir, devstack.Options{UIPort: -1}, nil)

	code, body := st.call("GET", mustPath(st.info.SampleURL), "", "")
	if code != http.StatusOK || body["status"] != "accepted" {
		t.Fatalf("sample postback answered %d %v", code, body)
	}
	wfID := body["workflow_id"].(string)
	eventually(t, "conversion T1 recorded", 30*time.Second, func() error {
		cs := st.conversions("T1")
		if len(cs) != 1 || cs[0]["status"] != "approved" || cs[0]["value"] != "4.99" || cs[0]["attributed"] != true {
			return fmt.Errorf("conversions = %v", cs)
		}
		return nil
	})
	st.waitWorkflow(t, `TransactionId="T1"`, wfID)
	st.waitWorkflow(t, `TransactionId="T1" AND ConversionStatus="approved" AND AccountId="`+st.info.AccountID+`"`, wfID)

	// The Web UI's own HTTP API lists it too.
	uiURL := st.info.TemporalUI + "/api/v1/namespaces/default/workflows?query=" + url.QueryEscape(`TransactionId="T1"`)
	eventually(t, "UI lists the workflow", 30*time.Second, func() error {
		resp, err := http.Get(uiURL)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !contains(string(raw), wfID) {
			return fmt.Errorf("UI answered %d %s", resp.StatusCode, raw)
		}
		return nil
	})

	// The Temporal SDK's own metrics are exported beside Convrelay's.
	eventually(t, "SDK metrics on /metrics", 10*time.Second, func() error {
		resp, err := http.Get(st.info.APIBase + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		for _, want := range []string{"temporal_workflow_task_execution_latency_seconds_bucket", "temporal_local_activity_execution_latency_seconds_bucket",
			"temporal_request_total", "temporal_workflow_task_queue_poll_succeed_total", "convrelay_dispatch_backlog 0"} {
			if !contains(string(raw), want) {
				return fmt.Errorf("/metrics lacks %s", want)
			}
		}
		// Every metric the Grafana dashboard under deploy/ queries is exported.
		for _, name := range dashboardMetrics(t) {
			if !contains(string(raw), "\n"+name) {
				return fmt.Errorf("/metrics lacks %s, which deploy/grafana/convrelay-dashboard.json queries", name)
			}
		}
		return nil
	})

	st.stop()
	st2 := startStack(t, dir, devstack.Options{UIPort: -2}, nil)
	if st2.info.AccountID != st.info.AccountID || st2.info.AdminKey != st.info.AdminKey {
		t.Fatalf("restart created a new demo account %s (was %s)", st2.info.AccountID, st.info.AccountID)
	}
	if cs := st2.conversions("T1"); len(cs) != 1 {
		t.Fatalf("after restart conversions = %v", cs)
	}
	st2.waitWorkflow(t, `TransactionId="T1"`, wfID)
}

func mustPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u.RequestURI()
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// dashboardMetrics lists the metric names the Grafana dashboard's queries use.
func dashboardMetrics(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/grafana/convrelay-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var names []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, n := range metricName.FindAllString(tg.Expr, -1) {
				if !seen[n] {
					seen[n] = true
					names = append(names, n)
				}
			}
		}
	}
	if len(names) < 10 {
		t.Fatalf("dashboard queries only %v", names)
	}
	return names
}

var metricName = regexp.MustCompile(`\b(?:convrelay|temporal)_[a-z0-9_]+`)
