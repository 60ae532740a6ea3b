package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/store"
)

type pokeCounter struct{ n atomic.Int64 }

func (p *pokeCounter) Poke() { p.n.Add(1) }

type harness struct {
	t       testing.TB
	st      *store.Store
	srv     *httptest.Server
	account store.Account
	key     string
	pokes   *pokeCounter
	metrics *metrics.Metrics
}

func newHarness(t *testing.T, configure ...func(*config.Config)) *harness {
	return newHarnessTB(t, configure...)
}

// newHarnessTB is newHarness for tests, benchmarks and fuzz targets.
func newHarnessTB(t testing.TB, configure ...func(*config.Config)) *harness {
	t.Helper()
	return newHarnessWith(t, harnessOptions{config: func(c *config.Config) {
		for _, f := range configure {
			f(c)
		}
	}})
}

// do sends a request and decodes the JSON answer.
func (h *harness) do(method, path, contentType, body string, header ...string) (int, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &out) != nil {
		h.t.Fatalf("%s %s answered non-JSON %q", method, path, raw)
	}
	return resp.StatusCode, out
}

func (h *harness) admin(method, path, body string) (int, map[string]any) {
	return h.do(method, "/v1/accounts/"+h.account.ID+path, "application/json", body, "Authorization", "Bearer "+h.key)
}

// integration creates an integration; without a token or "open" in extra it is
// created open, so tests about other rules need no token (access_test.go tests
// the tokens).
func (h *harness) integration(slug, preset, extra string) {
	h.t.Helper()
	if !strings.Contains(extra, `"token"`) && !strings.Contains(extra, `"open"`) {
		extra += `,"open":true`
	}
	code, body := h.admin("POST", "/integrations", `{"slug":"`+slug+`","preset":"`+preset+`"`+extra+`}`)
	if code != http.StatusCreated {
		h.t.Fatalf("create integration: %d %v", code, body)
	}
}

func (h *harness) log() []store.LogEntry {
	h.t.Helper()
	rows, err := h.st.ListLog(context.Background(), h.account.ID, store.LogFilter{Limit: 100})
	if err != nil {
		h.t.Fatal(err)
	}
	return rows
}

// token returns the newest live token of one of the harness account's integrations.
func (h *harness) token(slug string) string {
	h.t.Helper()
	in, err := h.st.GetIntegration(context.Background(), h.account.ID, slug)
	if err != nil || len(in.Tokens) == 0 {
		h.t.Fatalf("integration %q has no token: %v", slug, err)
	}
	return in.Tokens[len(in.Tokens)-1].Secret
}
