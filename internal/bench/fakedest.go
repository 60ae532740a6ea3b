package bench

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// fakeDestination counts deliveries per transaction on 127.0.0.1. With failFirst
// it answers each transaction's first request 503 (not counted as a delivery), so
// the delivery is retried.
type fakeDestination struct {
	mu        sync.Mutex
	byTx      map[string]int
	failed    map[string]bool
	total     int
	srv       *http.Server
	url       string
	failFirst atomic.Bool
}

func newFakeDestination() (*fakeDestination, error) {
	f := &fakeDestination{byTx: map[string]int{}, failed: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f.url = "http://" + ln.Addr().String()
	f.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		tx := r.URL.Query().Get("tx")
		if tx == "" { // a webhook: the transaction is in the JSON body
			var body struct {
				Conversion struct {
					TransactionID string `json:"transaction_id"`
				} `json:"conversion"`
			}
			_ = json.Unmarshal(raw, &body)
			tx = body.Conversion.TransactionID
		}
		f.mu.Lock()
		if f.failFirst.Load() && !f.failed[tx] {
			f.failed[tx] = true
			f.mu.Unlock()
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		f.byTx[tx]++
		f.total++
		f.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

func (f *fakeDestination) counts() (total, duplicated int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.byTx {
		if n > 1 {
			duplicated += n - 1
		}
	}
	return f.total, duplicated
}
