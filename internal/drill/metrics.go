package drill

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/convrelay/convrelay/internal/subproc"
)

// usage is one reading of the product's resource use.
type usage struct {
	APIGoroutines float64 // go_goroutines from the API's /metrics
	APIHeapInuse  float64 // go_memstats_heap_inuse_bytes
	APIRSS        float64 // process_resident_memory_bytes
	WorkerRSS     float64 // VmRSS of the worker process (it serves no /metrics)
	WorkerThreads float64 // Threads of the worker process
}

// settledUsage takes n readings 2 s apart and keeps the lowest of each figure:
// the heap right after a collection, the goroutines between requests. A leak
// raises the floor; a single reading mostly measures where the GC cycle was.
func (s *Stack) settledUsage(ctx context.Context, n int) (usage, error) {
	var low usage
	for i := range n {
		if i > 0 {
			if err := subproc.Sleep(ctx, 2*time.Second); err != nil {
				return low, err
			}
		}
		u, err := s.usage(ctx)
		if err != nil {
			return low, err
		}
		if i == 0 {
			low = u
			continue
		}
		low.APIGoroutines, low.APIHeapInuse, low.APIRSS = min(low.APIGoroutines, u.APIGoroutines), min(low.APIHeapInuse, u.APIHeapInuse), min(low.APIRSS, u.APIRSS)
		low.WorkerRSS, low.WorkerThreads = min(low.WorkerRSS, u.WorkerRSS), min(low.WorkerThreads, u.WorkerThreads)
	}
	return low, nil
}

var apiMetrics = []string{"go_goroutines", "go_memstats_heap_inuse_bytes", "process_resident_memory_bytes"}

func (s *Stack) usage(ctx context.Context) (usage, error) {
	m, err := scrape(ctx, s.APIBase+"/metrics", apiMetrics)
	if err != nil {
		return usage{}, err
	}
	u := usage{APIGoroutines: m["go_goroutines"], APIHeapInuse: m["go_memstats_heap_inuse_bytes"], APIRSS: m["process_resident_memory_bytes"]}
	st, err := procStatus(s.WorkerPid())
	if err != nil {
		return u, err
	}
	u.WorkerRSS, u.WorkerThreads = st["VmRSS"]*1024, st["Threads"]
	return u, nil
}

// scrape reads unlabelled samples of the named metrics from a Prometheus text page.
func scrape(ctx context.Context, url string, names []string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read %s: %s", url, resp.Status)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !want[name] {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			out[name] = v
		}
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return out, fmt.Errorf("%s has no %s", url, n)
		}
	}
	return out, sc.Err()
}

// procStatus reads the numeric fields of /proc/<pid>/status (VmRSS in kB, Threads).
func procStatus(pid int) (map[string]float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}
