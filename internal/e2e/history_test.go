package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/convrelay/convrelay/internal/devstack"
)

// TestRecordHistories records real workflow histories into workflows/testdata for
// the replay test. It runs only when CONVRELAY_RECORD_HISTORIES=1 (after a change
// to the workflow, record new histories and keep the old ones: replaying both is
// what proves the change is safe for running workflows).
func TestRecordHistories(t *testing.T) {
	if os.Getenv("CONVRELAY_RECORD_HISTORIES") != "1" {
		t.Skip("set CONVRELAY_RECORD_HISTORIES=1 to record workflow histories")
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer hook.Close()
	st := startStack(t, t.TempDir(), devstack.Options{}, map[string]string{"CONVRELAY_SETTLE_WINDOW": "8s"})
	if code, body := st.admin("POST", "/destinations", `{"type":"webhook","name":"crm","config":{"url":"`+hook.URL+`","secret":"s3cret-key"}}`); code != http.StatusCreated {
		t.Fatalf("create destination: %d %v", code, body)
	}
	base := "/" + st.info.AccountID + "/collect/demo?click_id=c1&transaction_id=REC-1&commission=4.99&" + personalQuery
	var wfID string
	for _, status := range []string{"pending", "approved", "approved", "rejected"} {
		code, body := st.call("GET", base+"&status="+status, "", "")
		if code != http.StatusOK {
			t.Fatalf("postback answered %d %v", code, body)
		}
		wfID = body["workflow_id"].(string)
		time.Sleep(500 * time.Millisecond)
	}
	st.waitCompleted(t, wfID)
	writeHistory(t, "conversion_pending_approved_duplicate_rejected_", historyJSON(t, st, wfID))
}

// writeHistory writes a recorded history to workflows/testdata/<prefix><name>.json,
// name from CONVRELAY_HISTORY_NAME (e.g. "v2": keeps earlier recordings beside
// the new one), "latest" by default.
func writeHistory(t *testing.T, prefix string, raw []byte) {
	t.Helper()
	name := os.Getenv("CONVRELAY_HISTORY_NAME")
	if name == "" {
		name = "latest"
	}
	out := filepath.Join("..", "..", "workflows", "testdata", prefix+name+".json")
	if err := os.WriteFile(out, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(raw))
}

// waitCompleted waits until a workflow has completed (after its settle window).
func (st *stack) waitCompleted(t *testing.T, wfID string) {
	t.Helper()
	eventually(t, "workflow completes after the settle window", 60*time.Second, func() error {
		d, err := st.s.Temporal.DescribeWorkflowExecution(context.Background(), wfID, "")
		if err != nil {
			return err
		}
		if s := d.WorkflowExecutionInfo.Status; s != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			return fmt.Errorf("status %s", s)
		}
		return nil
	})
}

// Personal data a postback may carry; none of it may reach a Temporal history.
var personal = []string{"jane.doe@example.com", "Jane", "Doe", "+393471234567", "3471234567", "198.51.100.23",
	"Mozilla/5.0 (PersonalTest)"}

const personalQuery = "email=jane.doe%40example.com&first_name=Jane&last_name=Doe&phone=%2B393471234567" +
	"&ip=198.51.100.23&user_agent=Mozilla%2F5.0%20(PersonalTest)"

func historyJSON(t *testing.T, st *stack, wfID string) []byte {
	t.Helper()
	raw, err := fetchHistory(st, wfID)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func fetchHistory(st *stack, wfID string) ([]byte, error) {
	hist := &historypb.History{}
	iter := st.s.Temporal.GetWorkflowHistory(context.Background(), wfID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return nil, err
		}
		hist.Events = append(hist.Events, ev)
	}
	return protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
}

// TestHistoryHoldsNoPersonalData sends postbacks carrying an email, a phone, a name,
// an IP address and a user agent (one keyed by email alone) through the whole
// product and reads their workflows' histories: payloads are base64 JSON inside
// the history, so both the decoded payloads and the raw history are searched.
func TestHistoryHoldsNoPersonalData(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, nil)
	var ids []string
	for _, q := range []string{
		"click_id=c-pii&transaction_id=PII-1&commission=4.99&status=approved&" + personalQuery,
		"event_name=Lead&status=pending&" + personalQuery, // keyed by email alone
	} {
		code, body := st.call("GET", "/"+st.info.AccountID+"/collect/demo?"+q, "", "")
		if code != http.StatusOK {
			t.Fatalf("postback answered %d %v", code, body)
		}
		ids = append(ids, body["workflow_id"].(string))
	}
	for _, id := range ids {
		for _, p := range personal {
			if strings.Contains(strings.ToLower(id), strings.ToLower(p)) {
				t.Fatalf("workflow id %q holds %q", id, p)
			}
		}
		eventually(t, "postback applied in "+id, 60*time.Second, func() error {
			raw, err := fetchHistory(st, id)
			if err != nil {
				return err
			}
			if !strings.Contains(string(raw), "Record") {
				return fmt.Errorf("not recorded yet")
			}
			return nil
		})
		raw := historyJSON(t, st, id)
		if leaked := personalIn(raw); leaked != "" {
			t.Fatalf("history of %s holds %q", id, leaked)
		}
	}
}

// personalIn returns the first personal value found in a history, in its raw
// JSON or in any base64 payload inside it ("" when none).
func personalIn(raw []byte) string {
	for _, text := range historyTexts(raw) {
		text = strings.ToLower(text)
		for _, p := range personal {
			if strings.Contains(text, strings.ToLower(p)) {
				return p
			}
		}
	}
	return ""
}

// historyTexts is a history's raw JSON and every base64 payload inside it,
// decoded (payloads are where activity inputs, results and markers live).
func historyTexts(raw []byte) []string {
	texts := []string{string(raw)}
	for _, m := range base64Field.FindAllSubmatch(raw, -1) {
		if dec, err := base64.StdEncoding.DecodeString(string(m[1])); err == nil {
			texts = append(texts, string(dec))
		}
	}
	return texts
}

var base64Field = regexp.MustCompile(`"data":\s*"([A-Za-z0-9+/=]+)"`)

func TestPersonalInFindsEncodedPayloads(t *testing.T) {
	payload := base64.StdEncoding.EncodeToString([]byte(`{"traits":{"email":"jane.doe@example.com"}}`))
	if got := personalIn([]byte(`{"payloads":[{"data": "` + payload + `"}]}`)); got == "" {
		t.Fatal("an email inside a base64 payload was not found")
	}
	if got := personalIn([]byte(`{"data":"` + base64.StdEncoding.EncodeToString([]byte(`{"postback_id":7}`)) + `"}`)); got != "" {
		t.Fatalf("found %q in a payload without personal data", got)
	}
}
