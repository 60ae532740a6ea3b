package bench

import (
	"fmt"
	"io"
	"time"
)

// ProgressOut receives a progress line every few seconds while a phase runs
// (stderr for make bench; nil: none). A phase that prints nothing for a minute
// looks hung, and a run takes several minutes.
var ProgressOut io.Writer

// progressInterval is how often a running phase reports.
const progressInterval = 5 * time.Second

// Progress prints "  <done>/<total> <what>, <rate>/s" every few seconds until the
// returned function is called.
func Progress(what string, total int, done func() int) func() {
	return progressEvery(func(elapsed time.Duration) string {
		d := done()
		return fmt.Sprintf("%d/%d %s, %.0f/s", d, total, what, float64(d)/elapsed.Seconds())
	})
}

// progressEvery prints the line built by line (given the time since the start)
// every few seconds until the returned function is called.
func progressEvery(line func(elapsed time.Duration) string) func() {
	if ProgressOut == nil {
		return func() {}
	}
	stop := make(chan struct{})
	start := time.Now()
	go func() {
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fmt.Fprintf(ProgressOut, "  %s\n", line(time.Since(start)))
			}
		}
	}()
	return func() { close(stop) }
}
