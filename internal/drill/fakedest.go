package drill

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convrelay/convrelay/internal/destinations"
)

// eventKey names one event a destination should receive once: a transaction's
// conversion, or (webhooks only) its reversal.
type eventKey struct {
	Tx   string
	Kind string // "conversion" or "reversal"
}

// receipt is one successful delivery of an event.
type receipt struct {
	At       time.Time
	Answered bool // the sender was still connected when the 200 was written
}

// fakeDest is a destination on 127.0.0.1. Like a platform deduplicating by event
// id, it counts successful receipts per event; it can be switched to answer 503.
type fakeDest struct {
	Name    string
	URL     string // base, no trailing slash
	srv     *http.Server
	latency time.Duration
	failing atomic.Bool
	secret  string // webhooks: the signing secret to check

	mu       sync.Mutex
	ok       map[eventKey][]receipt       // successful receipts per event, in order
	ids      map[eventKey]map[string]bool // event ids seen per event (webhook-id, the postback's {event_id})
	refused  int                          // answered 503
	invalid  []string                     // requests that could not be read or were wrongly signed
	inFlight int
}

func newFakeDest(name, secret string, latency time.Duration) (*fakeDest, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeDest{Name: name, URL: "http://" + ln.Addr().String(), latency: latency, secret: secret,
		ok: map[eventKey][]receipt{}, ids: map[eventKey]map[string]bool{}}
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

func (f *fakeDest) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == "PRI" && r.Proto == "HTTP/2.0" {
		// An HTTP/2 preface is not Convrelay's delivery client (HTTP/1.1) but a gRPC
		// client reconnecting to a port a stopped Temporal server held: not a delivery.
		w.WriteHeader(http.StatusHTTPVersionNotSupported)
		return
	}
	f.mu.Lock()
	f.inFlight++
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		f.bad("read body: " + err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if f.latency > 0 {
		time.Sleep(f.latency)
	}
	if f.failing.Load() {
		f.mu.Lock()
		f.refused++
		f.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var key eventKey
	var id string
	if f.secret != "" {
		if destinations.VerifyWebhook(f.secret, r.Header, raw) != nil {
			f.bad("bad webhook signature")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var body struct {
			ID         string `json:"id"`
			Type       string `json:"type"`
			Conversion struct {
				TransactionID string `json:"transaction_id"`
			} `json:"conversion"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			f.bad("webhook body: " + err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		key, id = eventKey{Tx: body.Conversion.TransactionID, Kind: body.Type}, body.ID
	} else {
		// The template carries {event_id} as eid: the id a source deduplicates by.
		key, id = eventKey{Tx: r.URL.Query().Get("tx"), Kind: "conversion"}, r.URL.Query().Get("eid")
	}
	// A sender that went away before the answer (a worker killed mid-request)
	// cannot know the event arrived: its re-send is expected, and a platform
	// drops it by event id. The drill tells these apart from true duplicates.
	answered := r.Context().Err() == nil
	f.mu.Lock()
	f.ok[key] = append(f.ok[key], receipt{At: time.Now(), Answered: answered})
	if id != "" {
		if f.ids[key] == nil {
			f.ids[key] = map[string]bool{}
		}
		f.ids[key][id] = true
	}
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (f *fakeDest) bad(what string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.invalid) < 10 {
		f.invalid = append(f.invalid, what)
	}
}

// setFailing switches the 503 answers on or off.
func (f *fakeDest) setFailing(on bool) { f.failing.Store(on) }

// received is a copy of the successful receipts per event.
func (f *fakeDest) received() map[eventKey][]receipt {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[eventKey][]receipt, len(f.ok))
	for k, v := range f.ok {
		out[k] = append([]receipt(nil), v...)
	}
	return out
}

// idsOf is how many distinct event ids arrived for one event.
func (f *fakeDest) idsOf(k eventKey) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ids[k])
}

func (f *fakeDest) stats() (refused int, invalid []string, inFlight int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	inv := append([]string(nil), f.invalid...)
	sort.Strings(inv)
	return f.refused, inv, f.inFlight
}

func (f *fakeDest) close() { _ = f.srv.Close() }
