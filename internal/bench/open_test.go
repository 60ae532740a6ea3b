package bench

import "testing"

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tconvrelay\nVmPeak:\t  900 kB\nVmRSS:\t   123456 kB\nThreads:\t12\n"
	got, err := parseVmRSS(status)
	if err != nil || got != 123456*1024 {
		t.Fatalf("parseVmRSS = %d, %v; want %d", got, err, 123456*1024)
	}
	if _, err := parseVmRSS("Name:\tx\n"); err == nil {
		t.Fatal("parseVmRSS without a VmRSS line: no error")
	}
	if _, err := parseVmRSS("VmRSS:\tlots kB\n"); err == nil {
		t.Fatal("parseVmRSS of a bad number: no error")
	}
}

func TestMemSampleString(t *testing.T) {
	s := MemSample{RSS: 300 << 20, HeapInuse: 100 << 20, StickyCache: -1}
	if got, want := s.String(), "RSS 300 MiB, Go heap 100 MiB, sticky cache -"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	s.StickyCache = 2000
	if got, want := s.String(), "RSS 300 MiB, Go heap 100 MiB, sticky cache 2000"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}

func TestParseWorkerMetrics(t *testing.T) {
	text := `# HELP temporal_sticky_cache_size x
# TYPE temporal_sticky_cache_size gauge
temporal_sticky_cache_size{namespace="default",task_queue="convrelay",worker_type="WorkflowWorker"} 1999
temporal_sticky_cache_size{namespace="default",task_queue="other",worker_type="WorkflowWorker"} 12
go_memstats_heap_inuse_bytes 4.194304e+07
go_memstats_heap_inuse_bytes_other 1
`
	cache, heap := parseWorkerMetrics(text)
	if cache != 1999 || heap != 41943040 {
		t.Fatalf("parseWorkerMetrics = %d, %d; want 1999, 41943040", cache, heap)
	}
	if cache, _ := parseWorkerMetrics("go_goroutines 12\n"); cache != -1 {
		t.Fatalf("no sticky cache series: %d, want -1", cache)
	}
}
