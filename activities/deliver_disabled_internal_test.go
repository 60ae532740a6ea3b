package activities

import (
	"context"
	"testing"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/store"
)

// A pending delivery (or a re-drive) whose destination was switched off or
// deleted after it was made is not sent: it is marked skipped with the reason.
func TestDeliverSkipsADisabledOrDeletedDestination(t *testing.T) {
	for _, c := range []struct{ name, change, reason string }{
		{"disabled", `UPDATE destinations SET enabled = false WHERE id = $1`, "destination disabled"},
		{"deleted", `UPDATE destinations SET deleted_at = now() WHERE id = $1`, "destination deleted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newConsentFixture(t, "send", nil)
			ctx := context.Background()
			ref, ok := f.record("T-"+c.name, "Purchase", `{"transaction_id":"T1","traits":{}}`, conv.StatusNone)[f.hook.ID]
			if !ok {
				t.Fatal("no webhook delivery made")
			}
			if _, err := f.st.Pool.Exec(ctx, c.change, f.hook.ID); err != nil {
				t.Fatal(err)
			}
			a := &Activities{Store: f.st, Sender: &destinations.Sender{}}
			if _, err := a.Deliver(ctx, DeliverInput{DeliveryID: ref.ID}); err != nil {
				t.Fatalf("deliver: %v, want skipped without an attempt", err)
			}
			dels, err := f.st.ListDeliveries(ctx, f.acct.ID, store.DeliveryFilter{DestinationID: f.hook.ID, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(dels) != 1 || dels[0].Status != "skipped" || dels[0].LastError != c.reason || dels[0].Attempts != 0 {
				t.Fatalf("deliveries %+v, want one skipped (%q) without an attempt", dels, c.reason)
			}
		})
	}
}
