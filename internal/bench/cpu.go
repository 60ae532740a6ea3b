package bench

import (
	"fmt"
	"syscall"
	"time"
)

// CPUMeter samples the CPU time of the two places a conversion costs it: this
// process (the bench hosts the API, the worker and the embedded Temporal server,
// and also the load generator and the fake destinations) and the stack's
// PostgreSQL cluster, a separate set of processes.
type CPUMeter struct {
	PGDataDir string // the cluster directory holding postmaster.pid
	procRoot  string // /proc unless a test says otherwise
}

// cpuSample is cumulative CPU time at one moment.
type cpuSample struct {
	process, postgres time.Duration
}

// Sample reads both CPU times now.
func (m CPUMeter) Sample() (cpuSample, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuSample{}, fmt.Errorf("read this process's CPU time: %w", err)
	}
	s := cpuSample{process: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	pid, err := postmasterPID(m.PGDataDir)
	if err != nil {
		return s, fmt.Errorf("PostgreSQL CPU time: %w", err)
	}
	root := m.procRoot
	if root == "" {
		root = "/proc"
	}
	if s.postgres, err = clusterCPU(root, pid); err != nil {
		return s, fmt.Errorf("PostgreSQL CPU time: %w", err)
	}
	return s, nil
}

// CPUCost is the CPU a phase spent, in total and per conversion.
type CPUCost struct {
	ProcessSeconds        float64 `json:"process_seconds"`
	PostgresSeconds       float64 `json:"postgres_seconds"`
	ProcessPerConversion  float64 `json:"process_seconds_per_conversion"`
	PostgresPerConversion float64 `json:"postgres_seconds_per_conversion"`
}

func cpuCost(before, after cpuSample, conversions int) CPUCost {
	c := CPUCost{ProcessSeconds: (after.process - before.process).Seconds(), PostgresSeconds: (after.postgres - before.postgres).Seconds()}
	if conversions > 0 {
		c.ProcessPerConversion = c.ProcessSeconds / float64(conversions)
		c.PostgresPerConversion = c.PostgresSeconds / float64(conversions)
	}
	return c
}
