package destinations

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// testNow is the clock every test runs at.
var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// captured is one request as the fake platform saw it.
type captured struct {
	Method string
	Path   string // escaped path, as sent
	Query  url.Values
	Header http.Header
	Body   []byte
}

// fakePlatform answers with a fixed reply and records what it received.
type fakePlatform struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []captured
	status  int
	header  map[string]string
	reply   string
	handler func(w http.ResponseWriter, r *http.Request) // overrides the fixed reply
}

func newFake(t *testing.T, status int, reply string) *fakePlatform {
	t.Helper()
	f := &fakePlatform{status: status, reply: reply}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, captured{r.Method, r.URL.EscapedPath(), r.URL.Query(), r.Header.Clone(), body})
		f.mu.Unlock()
		if f.handler != nil {
			f.handler(w, r)
			return
		}
		for k, v := range f.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(f.status)
		io.WriteString(w, f.reply)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakePlatform) only(t *testing.T) captured {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) != 1 {
		t.Fatalf("platform got %d requests, want 1", len(f.reqs))
	}
	return f.reqs[0]
}

func (f *fakePlatform) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// loopbackAllowed lets tests reach their fake platforms on 127.0.0.1.
var loopbackAllowed = Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

func testSender() *Sender {
	return &Sender{Client: &http.Client{Timeout: 5 * time.Second}, Now: func() time.Time { return testNow }, Guard: loopbackAllowed}
}

// sampleConversion is a purchase with every trait filled, raw as a network
// would send them.
func sampleConversion() Conversion {
	return Conversion{
		EventID:       "tx-42:dest-7:Purchase",
		EventName:     "Purchase",
		EventTime:     testNow.Add(-2 * time.Hour),
		Status:        "approved",
		Kind:          KindConversion,
		Value:         decimal.RequireFromString("49.90"),
		Currency:      "usd",
		TransactionID: "TX-42",
		ClickID:       "clk_abc123",
		ExternalID:    "ref-9",
		CampaignID:    "cmp-1",
		TrafficSource: "network-a",
		SourceURL:     "https://shop.example.com/thanks",
		User: UserData{
			Email: "  John_Smith@Gmail.com ", Phone: "(650) 555-1212", FirstName: "Mary", LastName: "O'Brien",
			Birthdate: "2/16/1997", City: "Menlo Park", State: "California", Zip: "94025-1234", Country: "United States",
			ExternalID: "User-77", IP: "203.0.113.9", UserAgent: "Mozilla/5.0 (X11)", FBC: "fb.1.1554763741205.AbCdEf",
			FBP: "fb.1.1596403881668.1116446470", GCLID: "Cj0KCQ-gclid", TTCLID: "E.C.P.ttclid", GAClientID: "GA1.1.111.222",
		},
		Items: []Item{{ID: "sku-1", Name: "Widget", Variant: "blue",
			Price: decimal.RequireFromString("24.95"), Quantity: decimal.NewFromInt(2)}},
		Subs: map[string]string{"sub1": "s1", "sub2": "s2"},
	}
}

// send delivers c to d and returns the Result and *DeliveryError (nil on success).
func send(t *testing.T, d Destination, c Conversion) (Result, *DeliveryError) {
	t.Helper()
	res, err := testSender().Send(context.Background(), d, c)
	if err == nil {
		return res, nil
	}
	var de *DeliveryError
	if !errors.As(err, &de) {
		t.Fatalf("Send error %T %v is not a *DeliveryError", err, err)
	}
	return res, de
}

// decode parses a JSON body into generic values, keeping numbers as
// json.Number so their types can be asserted.
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, b)
	}
	return m
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// path walks nested objects and arrays: path(m, "data", 0, "user_data").
func path(t *testing.T, v any, keys ...any) any {
	t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			obj, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %q: not an object: %v", k, v)
			}
			v = obj[k]
		case int:
			arr, ok := v.([]any)
			if !ok || k >= len(arr) {
				t.Fatalf("at [%d]: not an array long enough: %v", k, v)
			}
			v = arr[k]
		}
	}
	return v
}

func wantString(t *testing.T, v any, want string) {
	t.Helper()
	s, ok := v.(string)
	if !ok || s != want {
		t.Errorf("got %#v, want string %q", v, want)
	}
}

func wantNumber(t *testing.T, v any, want string) {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok || n.String() != want {
		t.Errorf("got %#v, want JSON number %s", v, want)
	}
}

// wantHashArray asserts v is a one-element array holding sha256(normalized).
func wantHashArray(t *testing.T, v any, normalized string) {
	t.Helper()
	arr, ok := v.([]any)
	if !ok || len(arr) != 1 {
		t.Errorf("got %#v, want a one-element array of digests", v)
		return
	}
	wantString(t, arr[0], sha256Hex(normalized))
}
