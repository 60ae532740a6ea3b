package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/devstack"
)

// TestRecordHistoryDuplicateModes records, for the replay test, a run that
// decides repeated approvals by duplicate mode (the "duplicate-modes" change):
// approved 10 twice under add (one conversion of 20), then, the integration
// switched to new, approved 5 (a second conversion of the transaction), then a
// rejection of that one. It runs only when CONVRELAY_RECORD_HISTORIES=1, like
// TestRecordHistories.
func TestRecordHistoryDuplicateModes(t *testing.T) {
	if os.Getenv("CONVRELAY_RECORD_HISTORIES") != "1" {
		t.Skip("set CONVRELAY_RECORD_HISTORIES=1 to record workflow histories")
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer hook.Close()
	st := startStack(t, t.TempDir(), devstack.Options{}, map[string]string{"CONVRELAY_SETTLE_WINDOW": "25s"})
	if code, body := st.admin("POST", "/destinations", `{"type":"webhook","name":"crm","config":{"url":"`+hook.URL+`","secret":"s3cret-key"}}`); code != http.StatusCreated {
		t.Fatalf("create destination: %d %v", code, body)
	}
	setMode := func(mode string) {
		if code, body := st.admin("PUT", "/integrations/demo/duplicate_mode", `{"duplicate_mode":"`+mode+`"}`); code != http.StatusOK {
			t.Fatalf("set duplicate mode %s: %d %v", mode, code, body)
		}
		time.Sleep(6 * time.Second) // past the account reader's lifetime, in case the worker reads its own
	}
	base := "/" + st.info.AccountID + "/collect/demo?click_id=c1&transaction_id=REC-3&" + personalQuery
	var wfID string
	send := func(rest string) {
		code, body := st.call("GET", base+"&"+rest, "", "")
		if code != http.StatusOK {
			t.Fatalf("postback answered %d %v", code, body)
		}
		wfID = body["workflow_id"].(string)
		time.Sleep(time.Second)
	}
	setMode("add")
	send("commission=10&status=approved")
	send("commission=10&status=approved")
	setMode("new")
	send("commission=5&status=approved")
	send("status=rejected")
	cs := st.conversions("REC-3")
	if len(cs) != 2 || cs[0]["value"] != "5" || cs[0]["status"] != "rejected" || cs[1]["value"] != "20" || cs[1]["status"] != "approved" {
		t.Fatalf("conversions %v, want 20 approved (add) and 5 rejected (new)", cs)
	}
	st.waitCompleted(t, wfID)
	raw := historyJSON(t, st, wfID)
	if !historyMentions(raw, "duplicate-modes") {
		t.Fatal("the history holds no duplicate-modes marker")
	}
	for _, p := range personal {
		if historyMentions(raw, p) {
			t.Fatalf("the history holds personal data %q", p)
		}
	}
	out := filepath.Join("..", "..", "workflows", "testdata", "conversion_duplicate_modes_add_then_new_v8.json")
	if err := os.WriteFile(out, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(raw))
}
