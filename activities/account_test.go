package activities_test

import (
	"context"
	"testing"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// TestPrepareFailsForAnUnknownAccount: a postback whose account cannot be read
// is an error for the workflow to retry or report, never attributed under an
// empty account (no currency, no time zone) as if the read had worked.
func TestPrepareFailsForAnUnknownAccount(t *testing.T) {
	f := newFixture(t)
	_, err := f.act.Prepare(context.Background(), activities.PrepareInput{AccountID: "no-such-account", TxKey: "tx",
		Postback: &postback.Postback{ClickID: "c1"}, ReceivedAt: now})
	// The postback can never be applied: a permanent failure of class
	// postback_missing (marked failed, re-drivable), never an empty account.
	if class, ok := activities.FailureClass(err); !ok || class != store.FailedMissing {
		t.Fatalf("Prepare for an unknown account = %v, want a permanent %s failure", err, store.FailedMissing)
	}
}
