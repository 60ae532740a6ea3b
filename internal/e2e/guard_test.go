package e2e

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/devstack"
	"github.com/convrelay/convrelay/internal/store"
)

// With the dev stack's allow-list (exactly 127.0.0.1/32), a webhook on
// 127.0.0.2 (saved before the guard existed: the API refuses such a URL now)
// receives nothing, and its delivery fails at once saying why, while a
// webhook on 127.0.0.1 is delivered.
func TestWebhookOnARefusedAddressReceivesNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	var refusedHits, allowedHits atomic.Int64
	refused := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { refusedHits.Add(1) }))
	refused.Listener.Close()
	refused.Listener = ln
	refused.Start()
	defer refused.Close()
	allowed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { allowedHits.Add(1) }))
	defer allowed.Close()

	st := startStack(t, t.TempDir(), devstack.Options{}, map[string]string{})
	if code, body := st.admin("POST", "/destinations", `{"type":"webhook","config":{"url":"`+refused.URL+`/hook"}}`); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body["error"].(string), "127.0.0.2") {
		t.Fatalf("API accepted a webhook on 127.0.0.2: %d %v", code, body)
	}
	ctx := context.Background()
	mk := func(name, u string) int64 {
		d, err := st.s.Store.CreateDestination(ctx, store.Destination{AccountID: st.info.AccountID, Type: "webhook", Name: name,
			Config: map[string]string{"url": u, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, FireOn: destinations.FireOnOf(destinations.LifeFirst), Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	refusedID, allowedID := mk("internal", refused.URL+"/hook"), mk("local", allowed.URL+"/hook")
	if code, body := st.call("GET", "/"+st.info.AccountID+"/collect/demo?click_id=c1&transaction_id=GUARD-1&commission=2", "", ""); code != http.StatusOK {
		t.Fatalf("postback: %d %v", code, body)
	}
	d := st.waitDelivery(t, "GUARD-1", refusedID, "failed", 60*time.Second)
	if msg, _ := d["last_error"].(string); !strings.Contains(msg, "127.0.0.2") || !strings.Contains(msg, "outbound guard") {
		t.Fatalf("refused delivery says %q", msg)
	}
	if n, _ := d["attempts"].(float64); n != 1 {
		t.Fatalf("refused delivery attempted %v times, want 1 (not retried)", d["attempts"])
	}
	st.waitDelivery(t, "GUARD-1", allowedID, "delivered", 60*time.Second)
	if refusedHits.Load() != 0 || allowedHits.Load() != 1 {
		t.Fatalf("refused receiver got %d requests, allowed %d", refusedHits.Load(), allowedHits.Load())
	}
}
