package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat. The kernel reports them
// in USER_HZ, which is 100 on every Linux architecture Go supports (reading it
// properly needs sysconf, that is cgo).
const userHZ = 100

// procStat is the part of /proc/<pid>/stat the bench needs, CPU times in ticks.
type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime int64
}

// parseProcStat reads one /proc/<pid>/stat line. The command name (field 2) is in
// parentheses and may itself hold spaces and parentheses, so fields are counted
// from the last ")".
func parseProcStat(line string) (procStat, error) {
	var ps procStat
	end := strings.LastIndexByte(line, ')')
	if end < 0 {
		return ps, fmt.Errorf("proc stat %q: no command name", trim(line))
	}
	// After the name: state is field 3, so field k is rest[k-3].
	rest := strings.Fields(line[end+1:])
	if len(rest) < 15 {
		return ps, fmt.Errorf("proc stat %q: %d fields after the name, want at least 15", trim(line), len(rest))
	}
	var err error
	if ps.ppid, err = strconv.Atoi(rest[4-3]); err != nil {
		return ps, fmt.Errorf("proc stat ppid: %w", err)
	}
	for i, dst := range []*int64{&ps.utime, &ps.stime, &ps.cutime, &ps.cstime} {
		if *dst, err = strconv.ParseInt(rest[14-3+i], 10, 64); err != nil {
			return ps, fmt.Errorf("proc stat field %d: %w", 14+i, err)
		}
	}
	return ps, nil
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func ticks(n int64) time.Duration { return time.Duration(n) * time.Second / userHZ }

// readProcStat reads /proc/<pid>/stat under root (a /proc, or a fake for tests).
func readProcStat(root string, pid int) (procStat, error) {
	raw, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(string(raw))
}

// postmasterPID reads the first line of the cluster's postmaster.pid.
func postmasterPID(pgDataDir string) (int, error) {
	raw, err := os.ReadFile(filepath.Join(pgDataDir, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("read postmaster.pid: %w", err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return 0, fmt.Errorf("postmaster.pid: %w", err)
	}
	return pid, nil
}

// clusterCPU is the CPU time of a PostgreSQL cluster so far: the postmaster, its
// live children (backends, walwriter, checkpointer...), and the children it has
// already reaped (its cutime and cstime), so a backend that exits between two
// samples is not lost from the difference.
func clusterCPU(procRoot string, postmaster int) (time.Duration, error) {
	pm, err := readProcStat(procRoot, postmaster)
	if err != nil {
		return 0, fmt.Errorf("postmaster %d: %w", postmaster, err)
	}
	total := pm.utime + pm.stime + pm.cutime + pm.cstime
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return 0, fmt.Errorf("list processes: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == postmaster {
			continue
		}
		ps, err := readProcStat(procRoot, pid)
		if err != nil {
			continue // gone since the listing, or not a process directory
		}
		if ps.ppid == postmaster {
			total += ps.utime + ps.stime
		}
	}
	return ticks(total), nil
}
