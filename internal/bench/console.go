package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/convrelay/convrelay/api"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/store"
)

// PageLatency is one console page's measured time to first byte to last byte.
type PageLatency struct {
	Page   string  `json:"page"`
	Median float64 `json:"median_ms"`
	Max    float64 `json:"max_ms"`
}

// measureConsole signs in to the console of the seeded account (over the real
// handler on 127.0.0.1) and times each page a person opens, median of runs.
func measureConsole(ctx context.Context, st *store.Store, accountID, key string, runs int, logger *slog.Logger) ([]PageLatency, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: api.NewHandler(api.Deps{Store: st, Dispatcher: noDispatch{}, Config: cfg, Logger: logger}),
		ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: time.Minute}
	csrf, err := signInCSRF(client, base)
	if err != nil {
		return nil, err
	}
	resp, err := client.PostForm(base+"/console/login", url.Values{"key": {key}, "csrf": {csrf}})
	if err != nil {
		return nil, fmt.Errorf("console sign-in: %w", err)
	}
	resp.Body.Close()
	var lastConv int64
	if err := st.Pool.QueryRow(ctx, `SELECT max(id) FROM conversions WHERE account_id = $1`, accountID).Scan(&lastConv); err != nil {
		return nil, err
	}
	pages := []string{"/console/", "/console/postbacks", "/console/postbacks?outcome=accepted", "/console/conversions",
		"/console/conversions?status=approved", "/console/conversions/" + strconv.FormatInt(lastConv, 10), "/console/deliveries",
		"/console/campaigns", "/console/reports?group_by=campaign", "/console/reports?group_by=day"}
	var out []PageLatency
	for _, p := range pages {
		var times []float64
		for i := 0; i < runs; i++ {
			t0 := time.Now()
			resp, err := client.Get(base + p)
			if err != nil {
				return nil, fmt.Errorf("console %s: %w", p, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Request.URL.Path == "/console/login" {
				return nil, fmt.Errorf("console %s answered %d at %s (not signed in?)", p, resp.StatusCode, resp.Request.URL.Path)
			}
			times = append(times, float64(time.Since(t0).Microseconds())/1000)
		}
		sort.Float64s(times)
		out = append(out, PageLatency{Page: p, Median: times[len(times)/2], Max: times[len(times)-1]})
	}
	return out, nil
}

func printConsole(w io.Writer, pages []PageLatency) {
	if len(pages) == 0 {
		return
	}
	fmt.Fprintf(w, "\nConsole pages (same account)\n%-44s %10s %10s\n", "page", "median ms", "max ms")
	for _, p := range pages {
		flag := ""
		if p.Median > 500 {
			flag = "  over 500 ms"
		}
		fmt.Fprintf(w, "%-44s %10.0f %10.0f%s\n", p.Page, p.Median, p.Max, flag)
	}
}

var signInCSRFField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// signInCSRF reads the sign-in form's CSRF token (its cookie lands in the jar).
func signInCSRF(client *http.Client, base string) (string, error) {
	resp, err := client.Get(base + "/console/login")
	if err != nil {
		return "", fmt.Errorf("console sign-in page: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("console sign-in page: %w", err)
	}
	m := signInCSRFField.FindSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("console sign-in page has no CSRF token")
	}
	return string(m[1]), nil
}
