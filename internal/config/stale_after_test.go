package config

import (
	"testing"
	"time"
)

// CONVRELAY_DISPATCH_STALE_AFTER: how long another replica's claim on an
// undispatched postback is respected; a minute unless set (README promise), and
// CONVRELAY_DELIVERY_RETRY_WINDOW read as given.
func TestDispatchStaleAndRetryWindow(t *testing.T) {
	c, err := fromLookup(lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DispatchStale != time.Minute {
		t.Fatalf("default stale-after = %s, want 1m", c.DispatchStale)
	}
	c, err = fromLookup(lookupFrom(map[string]string{"CONVRELAY_DISPATCH_STALE_AFTER": "5s", "CONVRELAY_DELIVERY_RETRY_WINDOW": "90m"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DispatchStale != 5*time.Second || c.DeliveryWindow != 90*time.Minute {
		t.Fatalf("stale-after %s, retry window %s; want 5s and 1h30m", c.DispatchStale, c.DeliveryWindow)
	}
	if _, err := fromLookup(lookupFrom(map[string]string{"CONVRELAY_DISPATCH_STALE_AFTER": "0s"})); err == nil {
		t.Fatal("a zero stale-after was accepted")
	}
}
