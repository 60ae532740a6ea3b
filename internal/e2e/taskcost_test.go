package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/convrelay/convrelay/internal/cloudactions"
	"github.com/convrelay/convrelay/internal/devstack"
)

// TestConversionCostsOneWorkflowTask: an approved conversion whose platform answers
// at once is loaded, attributed, recorded and delivered in one workflow task, with
// no activity task and one version marker's search attribute upsert (each upsert is
// a visibility write on the server) — what makes a conversion cheaper than the
// bench's trivial workflow (three workflow tasks and two activity tasks) — and
// costs 3 Temporal Cloud actions.
func TestConversionCostsOneWorkflowTask(t *testing.T) {
	var hits atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer hook.Close()
	st := startStack(t, t.TempDir(), devstack.Options{}, nil)
	if code, body := st.admin("POST", "/destinations", `{"type":"webhook","name":"crm","config":{"url":"`+hook.URL+`","secret":"s3cret-key"}}`); code != http.StatusCreated {
		t.Fatalf("create destination: %d %v", code, body)
	}
	code, body := st.call("GET", "/"+st.info.AccountID+"/collect/demo?click_id=c1&transaction_id=COST-1&commission=4.99&status=approved", "", "")
	if code != http.StatusOK {
		t.Fatalf("postback answered %d %v", code, body)
	}
	id := body["workflow_id"].(string)
	var history string
	eventually(t, "conversion delivered", 60*time.Second, func() error {
		raw, err := fetchHistory(st, id)
		if err != nil {
			return err
		}
		history = string(raw)
		if hits.Load() == 0 || strings.Count(history, "EVENT_TYPE_WORKFLOW_TASK_COMPLETED") == 0 {
			return fmt.Errorf("not delivered yet")
		}
		return nil
	})
	time.Sleep(time.Second) // a second workflow task, if the delivery needed one, would show by now
	if raw, err := fetchHistory(st, id); err == nil {
		history = string(raw)
	}
	if n := strings.Count(history, "EVENT_TYPE_WORKFLOW_TASK_COMPLETED"); n != 1 {
		t.Errorf("%d workflow tasks, want 1", n)
	}
	if n := strings.Count(history, "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"); n != 0 {
		t.Errorf("%d activity tasks, want 0", n)
	}
	if n := strings.Count(history, "TemporalChangeVersion"); n != 1 {
		t.Errorf("%d version search attribute upserts, want 1 (the baseline)", n)
	}
	if hits.Load() != 1 {
		t.Errorf("webhook received %d requests, want 1", hits.Load())
	}
	// Temporal Cloud bills actions (internal/cloudactions has the table and its
	// source): the Signal-With-Start, the one workflow task's markers (version,
	// load, record, deliver) and the settle timer. A change that adds one (an
	// activity, a search attribute upsert, a second task with markers) fails here.
	var hist historypb.History
	if err := protojson.Unmarshal([]byte(history), &hist); err != nil {
		t.Fatal(err)
	}
	got := cloudactions.Of(hist.GetEvents())
	want := map[string]int{cloudactions.KindSignalWithStart: 1, cloudactions.KindLocalActivities: 1, cloudactions.KindTimer: 1}
	if got.Total != 3 || !reflect.DeepEqual(got.ByKind, want) {
		t.Errorf("%d billable actions %v, want 3 %v", got.Total, got.ByKind, want)
	}
}
