package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/convrelay/convrelay/api"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/store"
)

// csvRows generates an import file of n rows without holding it in memory.
func csvRows(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		var b strings.Builder
		b.WriteString("Order,Click,Payout,Cur,State,Date\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "IMP%d,click%d,%d.25,EUR,approved,2026-03-10 12:00:00\n", i, i, i%90+1)
			if b.Len() > 64<<10 || i == n {
				if _, err := io.WriteString(pw, b.String()); err != nil {
					return
				}
				b.Reset()
			}
		}
		pw.Close()
	}()
	return pr
}

// measureImport posts an n-row CSV to the import endpoint of an API served on
// 127.0.0.1 over st, and measures rows per second and the heap it peaked at.
func measureImport(ctx context.Context, st *store.Store, accountID, key string, n int, logger *slog.Logger) (ImportRate, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return ImportRate{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ImportRate{}, err
	}
	srv := &http.Server{Handler: api.NewHandler(api.Deps{Store: st, Dispatcher: noDispatch{}, Config: cfg, Logger: logger}),
		ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	defer close(done)
	mapping := `%7B%22transaction_id%22%3A%22Order%22%2C%22click_id%22%3A%22Click%22%2C%22value%22%3A%22Payout%22%2C%22currency%22%3A%22Cur%22%2C%22status%22%3A%22State%22%2C%22timestamp%22%3A%22Date%22%7D`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+ln.Addr().String()+"/v1/accounts/"+accountID+"/imports?mapping="+mapping, csvRows(n))
	if err != nil {
		return ImportRate{}, err
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+key)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ImportRate{}, fmt.Errorf("import: %w", err)
	}
	defer resp.Body.Close()
	tail := make([]byte, 256)
	var last []byte
	for {
		k, err := resp.Body.Read(tail)
		if k > 0 {
			last = append(last[len(last)-min(len(last), 256):], tail[:k]...)
		}
		if err != nil {
			break
		}
	}
	secs := time.Since(start).Seconds()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(last), `"accepted":`+fmt.Sprint(n)) {
		return ImportRate{}, fmt.Errorf("import answered %d, ending %q", resp.StatusCode, last)
	}
	return ImportRate{Rows: n, Seconds: secs, RowsPerSecond: float64(n) / secs, PeakHeapMB: float64(peak.Load()) / (1 << 20)}, nil
}
