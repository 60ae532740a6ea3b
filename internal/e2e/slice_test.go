package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
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
		for _, want := range []string{"temporal_workflow_task_execution_latency_seconds", "temporal_local_activity_execution_latency_seconds", "convrelay_dispatch_backlog 0"} {
			if !contains(string(raw), want) {
				return fmt.Errorf("/metrics lacks %s", want)
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
