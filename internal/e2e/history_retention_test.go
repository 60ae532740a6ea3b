package e2e

import (
	"os"
	"testing"

	"github.com/convrelay/convrelay/internal/devstack"
)

// TestRecordHistoryRetention records, for the replay test, one run of the
// retention workflow triggered through the worker's schedule (every step at
// its default period) into workflows/testdata/retention_<name>.json
// (CONVRELAY_HISTORY_NAME, "latest" by default). It runs only when
// CONVRELAY_RECORD_HISTORIES=1, like TestRecordHistories.
func TestRecordHistoryRetention(t *testing.T) {
	if os.Getenv("CONVRELAY_RECORD_HISTORIES") != "1" {
		t.Skip("set CONVRELAY_RECORD_HISTORIES=1 to record workflow histories")
	}
	st := startStack(t, t.TempDir(), devstack.Options{}, map[string]string{})
	writeHistory(t, "retention_", historyJSON(t, st, triggerRetention(t, st)))
}
