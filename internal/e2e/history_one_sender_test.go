package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/devstack"
	"github.com/convrelay/convrelay/workflows"
)

// TestRecordHistoryOneSender records, for the replay test, a run in which a
// delivery is handed over twice more while it is being sent (the "one sender
// per delivery" change): the repeats are dropped behind its version marker. It
// runs only when CONVRELAY_RECORD_HISTORIES=1, like TestRecordHistories.
func TestRecordHistoryOneSender(t *testing.T) {
	if os.Getenv("CONVRELAY_RECORD_HISTORIES") != "1" {
		t.Skip("set CONVRELAY_RECORD_HISTORIES=1 to record workflow histories")
	}
	var calls atomic.Int32
	firstCall := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if n == 1 {
			close(firstCall)
		}
		if n <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer hook.Close()
	st := startStack(t, t.TempDir(), devstack.Options{}, map[string]string{"CONVRELAY_SETTLE_WINDOW": "8s"})
	code, body := st.admin("POST", "/destinations", `{"type":"webhook","name":"crm","config":{"url":"`+hook.URL+`","secret":"s3cret-key"}}`)
	if code != http.StatusCreated {
		t.Fatalf("create destination: %d %v", code, body)
	}
	destID := int64(num(body["id"]))
	code, body = st.call("GET", "/"+st.info.AccountID+"/collect/demo?click_id=c1&transaction_id=REC-2&commission=4.99&status=approved", "", "")
	if code != http.StatusOK {
		t.Fatalf("postback answered %d %v", code, body)
	}
	wfID := body["workflow_id"].(string)
	select {
	case <-firstCall:
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook was never called")
	}
	ctx := context.Background()
	var deliveryID int64
	if err := st.s.Store.Pool.QueryRow(ctx, `SELECT id FROM deliveries WHERE destination_id = $1`, destID).Scan(&deliveryID); err != nil {
		t.Fatal(err)
	}
	sig := workflows.RedeliverSignal{Delivery: conv.DeliveryRef{ID: deliveryID, DestinationID: destID, DestinationType: "webhook",
		Summary: "hand-over again: delivery to webhook crm"}}
	for range 2 {
		if err := st.s.Temporal.SignalWorkflow(ctx, wfID, "", workflows.RedeliverSignalName, sig); err != nil {
			t.Fatal(err)
		}
	}
	st.waitCompleted(t, wfID)
	if n := calls.Load(); n != 3 {
		t.Fatalf("the webhook was called %d times, want 3 (two refusals, one success: one sender)", n)
	}
	raw := historyJSON(t, st, wfID)
	if !historyMentions(raw, "one-sender-per-delivery") {
		t.Fatal("the history holds no one-sender-per-delivery marker: the repeats did not arrive while the delivery was in flight")
	}
	out := filepath.Join("..", "..", "workflows", "testdata", "conversion_redelivered_in_flight_v7_one_sender.json")
	if err := os.WriteFile(out, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(raw))
}

// historyMentions reports whether a history holds text, in its raw JSON or in a
// base64 payload inside it (a marker's change id is a payload).
func historyMentions(raw []byte, text string) bool {
	for _, t := range historyTexts(raw) {
		if strings.Contains(t, text) {
			return true
		}
	}
	return false
}
