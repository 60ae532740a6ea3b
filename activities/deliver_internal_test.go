package activities

import (
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/store"
)

// The event a delivery sends carries the postback's pixel event id, the kind
// stored with the delivery (adjustments included), and a Google order id that
// stays the one the destination's first conversion delivery was sent with.
func TestBuildConversionCarriesDedupAndAdjustmentFields(t *testing.T) {
	var job store.DeliveryJob
	job.AccountID, job.TxKey = "acct1", "tx:T1"
	job.Destination.ID = 7
	created := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	job.Delivery = store.Delivery{EventID: "restate-key", Kind: destinations.KindRestatement, CreatedAt: created}
	job.Conversion.Postback = []byte(`{"transaction_id":"T1","event_id":"pix-123","traits":{}}`)
	c, err := buildConversion(job)
	if err != nil {
		t.Fatal(err)
	}
	if c.PixelEventID != "pix-123" || c.Kind != destinations.KindRestatement || !c.ChangedAt.Equal(created) {
		t.Errorf("conversion %+v", c)
	}
	if want := store.EventKey("acct1", "tx:T1", 7, destinations.KindConversion); c.OrderID != want || c.OrderID == c.EventID {
		t.Errorf("order id %q, want the first conversion delivery's key %q", c.OrderID, want)
	}
}
