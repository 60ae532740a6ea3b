package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// A real line (postgres checkpointer) with a command name holding a space and
// parentheses, which a naive split would miscount.
const sampleStat = `4242 (postgres: checkpointer (x)) S 4200 4200 4200 0 -1 4194368 1380 0 0 0 ` +
	`37 21 5 3 20 0 1 0 1234567 225730560 2310 18446744073709551615 1 1 0 0 0 0 0 16781312 17442 0 0 0 17 1 0 0 0 0 0`

func TestParseProcStat(t *testing.T) {
	ps, err := parseProcStat(sampleStat)
	if err != nil {
		t.Fatal(err)
	}
	want := procStat{ppid: 4200, utime: 37, stime: 21, cutime: 5, cstime: 3}
	if ps != want {
		t.Fatalf("got %+v, want %+v", ps, want)
	}
	for _, bad := range []string{"", "12 (no end", "12 (short) S 1 2 3"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("parseProcStat(%q): no error", bad)
		}
	}
}

func TestClusterCPU(t *testing.T) {
	root := t.TempDir()
	write := func(pid, ppid int, utime, stime, cutime, cstime int64) {
		dir := filepath.Join(root, strconv.Itoa(pid))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		line := strconv.Itoa(pid) + " (postgres) S " + strconv.Itoa(ppid) + " 1 1 0 -1 0 0 0 0 0 " +
			strconv.FormatInt(utime, 10) + " " + strconv.FormatInt(stime, 10) + " " +
			strconv.FormatInt(cutime, 10) + " " + strconv.FormatInt(cstime, 10) + " 20 0 1 0\n"
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(100, 1, 10, 5, 7, 3) // postmaster, with 10 ticks of reaped children
	write(101, 100, 200, 50, 0, 0)
	write(102, 100, 30, 20, 0, 0)
	write(103, 1, 999, 999, 0, 0) // not PostgreSQL's
	if err := os.MkdirAll(filepath.Join(root, "self"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := clusterCPU(root, 100)
	if err != nil {
		t.Fatal(err)
	}
	if want := 325 * 10 * time.Millisecond; got != want {
		t.Fatalf("cluster CPU %s, want %s", got, want)
	}
	if _, err := clusterCPU(root, 999); err == nil {
		t.Fatal("a missing postmaster: no error")
	}
}

func TestCPUMeterReadsPostmasterPID(t *testing.T) {
	pg := t.TempDir()
	if err := os.WriteFile(filepath.Join(pg, "postmaster.pid"), []byte(strconv.Itoa(os.Getpid())+"\n/data/pg\n1700000000\n5432\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := CPUMeter{PGDataDir: pg}.Sample()
	if err != nil {
		t.Fatal(err)
	}
	if s.process <= 0 {
		t.Fatalf("this process's CPU time %s", s.process)
	}
	if _, err := (CPUMeter{PGDataDir: t.TempDir()}).Sample(); err == nil {
		t.Fatal("no postmaster.pid: no error")
	}
}

func TestCPUCost(t *testing.T) {
	c := cpuCost(cpuSample{process: time.Second, postgres: 2 * time.Second}, cpuSample{process: 5 * time.Second, postgres: 3 * time.Second}, 100)
	want := CPUCost{ProcessSeconds: 4, PostgresSeconds: 1, ProcessPerConversion: 0.04, PostgresPerConversion: 0.01}
	if c != want {
		t.Fatalf("got %+v, want %+v", c, want)
	}
}
