package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/store"
)

// fakeEndpoint records what a platform received and answers as told.
type fakeEndpoint struct {
	*httptest.Server
	mu     sync.Mutex
	paths  []string
	bodies [][]byte
	answer func(w http.ResponseWriter, r *http.Request, body []byte)
}

func newFakeEndpoint(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeEndpoint {
	f := &fakeEndpoint{answer: answer}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.paths = append(f.paths, r.URL.Path)
		f.bodies = append(f.bodies, body)
		f.mu.Unlock()
		f.answer(w, r, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeEndpoint) only(t *testing.T) (string, map[string]any) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bodies) != 1 {
		t.Fatalf("platform got %d requests, want 1", len(f.bodies))
	}
	var m map[string]any
	if err := json.Unmarshal(f.bodies[0], &m); err != nil {
		t.Fatalf("body %s: %v", f.bodies[0], err)
	}
	return f.paths[0], m
}

func (h *harness) destination(body string) string {
	h.t.Helper()
	code, out := h.admin("POST", "/destinations", body)
	if code != http.StatusCreated {
		h.t.Fatalf("create destination: %d %v", code, out)
	}
	return fmt.Sprint(out["id"])
}

// nothingRecorded checks a test event left no conversion and no delivery.
func (h *harness) nothingRecorded() {
	h.t.Helper()
	ctx := context.Background()
	convs, err := h.st.ListConversions(ctx, h.account.ID, store.ConversionFilter{Limit: 10})
	if err != nil {
		h.t.Fatal(err)
	}
	ds, err := h.st.ListDeliveries(ctx, h.account.ID, store.DeliveryFilter{Limit: 10})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(convs) != 0 || len(ds) != 0 || len(h.log()) != 0 {
		h.t.Errorf("a test event recorded %d conversions, %d deliveries, %d postbacks", len(convs), len(ds), len(h.log()))
	}
}

func TestDestinationTestEventMetaAndTikTok(t *testing.T) {
	h := newHarness(t, allowLoopback)
	meta := newFakeEndpoint(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		io.WriteString(w, `{"events_received":1,"messages":[],"fbtrace_id":"AbC"}`)
	})
	tiktok := newFakeEndpoint(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		io.WriteString(w, `{"code":0,"message":"OK","request_id":"r1","data":{}}`)
	})
	metaID := h.destination(`{"type":"meta","endpoint":"` + meta.URL + `","config":{"pixel_id":"123","access_token":"EAAB-meta-token"}}`)
	ttID := h.destination(`{"type":"tiktok","endpoint":"` + tiktok.URL + `","config":{"pixel_code":"C4AB","access_token":"tt-token-123"}}`)

	code, out := h.admin("POST", "/destinations/"+metaID+"/test", `{"test_event_code":"TEST9876","value":"25.50"}`)
	if code != http.StatusOK || out["delivered"] != true || out["status_code"] != float64(200) ||
		!strings.Contains(fmt.Sprint(out["body"]), "events_received") || out["event_name"] != "Purchase" {
		t.Fatalf("meta test: %d %v", code, out)
	}
	eventID := fmt.Sprint(out["event_id"])
	path, body := meta.only(t)
	if path != "/v26.0/123/events" || body["test_event_code"] != "TEST9876" {
		t.Errorf("meta got %s %v", path, body)
	}
	ev := body["data"].([]any)[0].(map[string]any)
	cd := ev["custom_data"].(map[string]any)
	if ev["event_id"] != eventID || !strings.HasPrefix(eventID, "test-") || cd["value"] != 25.5 || cd["currency"] != "EUR" {
		t.Errorf("meta event %v (answered event_id %s)", ev, eventID)
	}

	code, out = h.admin("POST", "/destinations/"+ttID+"/test", `{"test_event_code":"TEST555","event_name":"Lead"}`)
	if code != http.StatusOK || out["delivered"] != true {
		t.Fatalf("tiktok test: %d %v", code, out)
	}
	_, body = tiktok.only(t)
	if body["test_event_code"] != "TEST555" || body["data"].([]any)[0].(map[string]any)["event"] != "SubmitForm" {
		t.Errorf("tiktok got %v", body)
	}

	// The stored destination keeps no test code.
	_, got := h.admin("GET", "/destinations/"+metaID, "")
	if _, ok := got["config"].(map[string]any)["test_event_code"]; ok {
		t.Errorf("test_event_code stored: %v", got["config"])
	}
	h.nothingRecorded()
}

func TestDestinationTestEventShowsRefusalWithSecretsMasked(t *testing.T) {
	h := newHarness(t, allowLoopback)
	// A receiver that echoes the request URL, token included.
	meta := newFakeEndpoint(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":"Invalid OAuth access token - Cannot parse access token %s","type":"OAuthException","code":190}}`,
			r.URL.Query().Get("access_token"))
	})
	id := h.destination(`{"type":"meta","endpoint":"` + meta.URL + `","config":{"pixel_id":"123","access_token":"EAAB-very-secret-token"}}`)
	code, out := h.admin("POST", "/destinations/"+id+"/test", "")
	if code != http.StatusOK || out["delivered"] != false || out["status_code"] != float64(400) {
		t.Fatalf("answer %d %v", code, out)
	}
	text := fmt.Sprint(out["body"]) + fmt.Sprint(out["error"])
	if strings.Contains(text, "EAAB-very-secret-token") || !strings.Contains(text, "****oken") ||
		!strings.Contains(fmt.Sprint(out["error"]), "Invalid OAuth access token") {
		t.Errorf("answer shows %q", text)
	}
	if code, _ := h.admin("POST", "/destinations/999999/test", ""); code != http.StatusNotFound {
		t.Errorf("unknown destination: %d", code)
	}
	h.nothingRecorded()
}

// Google Ads: the test refreshes an OAuth token like a delivery and asks the
// API to validate only, so nothing is recorded at Google either.
func TestDestinationTestEventGoogleAdsValidateOnly(t *testing.T) {
	h := newHarness(t, allowLoopback)
	token := newFakeEndpoint(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		form, _ := url.ParseQuery(string(body))
		if form.Get("refresh_token") != "1//rt" || form.Get("client_id") != "cid" || form.Get("client_secret") != "cs" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"at-test","expires_in":3600,"token_type":"Bearer"}`)
	})
	ads := newFakeEndpoint(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.Header.Get("Authorization") != "Bearer at-test" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"results":[{}]}`)
	})
	id := h.destination(`{"type":"google_ads","endpoint":"` + ads.URL + `","config":{"api":"google_ads","customer_id":"123-456-7890",
		"conversion_action":"55","developer_token":"dev","client_id":"cid","client_secret":"cs","refresh_token":"1//rt",
		"token_url":"` + token.URL + `/token"}}`)
	code, out := h.admin("POST", "/destinations/"+id+"/test", `{"gclid":"Cj0-test"}`)
	if code != http.StatusOK || out["delivered"] != true {
		t.Fatalf("answer %d %v", code, out)
	}
	path, body := ads.only(t)
	cv := body["conversions"].([]any)[0].(map[string]any)
	if path != "/v26/customers/1234567890:uploadClickConversions" || body["validateOnly"] != true || cv["gclid"] != "Cj0-test" {
		t.Errorf("google got %s %v", path, body)
	}
	h.nothingRecorded()
}

// allowLoopback lets destinations reach the fake platforms on 127.0.0.1, as
// CONVRELAY_DESTINATION_ALLOW=127.0.0.0/8 does.
func allowLoopback(c *config.Config) {
	c.DestinationAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
}
