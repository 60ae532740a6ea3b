package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/convrelay/convrelay/api"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Every admin request gets an id, echoed in X-Request-Id and in one access-log
// line that names the account and never the key.
func TestAdminRequestsAreLoggedWithARequestID(t *testing.T) {
	st := pgtest.NewStore(t)
	acct, key, err := st.CreateAccount(context.Background(), store.Account{Name: "log"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	srv := httptest.NewServer(api.NewHandler(api.Deps{Store: st, Dispatcher: &pokeCounter{}, Config: cfg,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Metrics: metrics.New()}))
	defer srv.Close()
	get := func(header string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/accounts/"+acct.ID+"/integrations", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		if header != "" {
			req.Header.Set(api.RequestIDHeader, header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	generated := get("").Header.Get(api.RequestIDHeader)
	if len(generated) != 16 {
		t.Fatalf("generated request id %q", generated)
	}
	if got := get("proxy-id-123").Header.Get(api.RequestIDHeader); got != "proxy-id-123" {
		t.Fatalf("a caller's request id was not kept: %q", got)
	}
	if got := get("bad id;drop").Header.Get(api.RequestIDHeader); got == "bad id;drop" || got == "" {
		t.Fatalf("an unsafe request id was echoed: %q", got)
	}
	found := 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "admin request" {
			continue
		}
		if strings.Contains(line, key) {
			t.Fatalf("the access log shows the admin key: %s", line)
		}
		if rec["request_id"] == generated && rec["account_id"] == acct.ID && rec["status"] == float64(200) &&
			rec["route"] == "/v1/accounts/:account/integrations" {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("access log lines for %s: %d, want 1\n%s", generated, found, logs.String())
	}
}
