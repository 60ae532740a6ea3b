package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/store"
)

// LoadedReports are the report shapes timed while the real intake takes a burst
// on the same PostgreSQL.
type LoadedReports struct {
	Shapes []ReportLatency `json:"shapes"`
	// The intake's burst during the timings: accepted postbacks per second and p99.
	IntakePerSecond float64       `json:"intake_per_second"`
	IntakeP99       time.Duration `json:"intake_p99_ns"`
	Accepted        int           `json:"accepted"`
}

// loadedConns is the burst's concurrency, the same as the bench's intake phase.
const loadedConns = 32

// timeShapesUnderIntake serves the real intake handler on the report database
// (its own pool, the product's default size, and an account of its own) and
// keeps a burst of postbacks going while every shape is timed again.
func timeShapesUnderIntake(ctx context.Context, dbURL string, st *store.Store, acct store.Account, today time.Time, runs int) (LoadedReports, error) {
	var out LoadedReports
	cfg, err := config.FromEnv()
	if err != nil {
		return out, err
	}
	ist, err := store.Open(ctx, dbURL, cfg.DBMaxConns)
	if err != nil {
		return out, err
	}
	defer ist.Close()
	if err := useThrowawayKey(ist); err != nil {
		return out, err
	}
	url, stop, err := intakeServer(ctx, ist, cfg)
	if err != nil {
		return out, err
	}
	defer stop()
	loadCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	loaded := make(chan LoadResult, 1)
	go func() {
		// More than the timings need (about 15,000 here): the burst is cut when they end.
		loaded <- Burst(loadCtx, NewClient(loadedConns), loadedConns, 1_000_000, unattributedPostbacks(url, "L"), answeredOK)
	}()
	time.Sleep(2 * time.Second) // the burst at full speed before the first report
	out.Shapes, err = timeShapes(ctx, st, acct, today, runs)
	cancel()
	lr := <-loaded
	if err != nil {
		return out, err
	}
	out.Accepted, out.IntakePerSecond, out.IntakeP99 = lr.OK, lr.PerSecond, lr.P99
	// The burst's garbage must not count in the CSV import's peak heap, measured next.
	runtime.GC()
	return out, nil
}

func (l LoadedReports) print(w io.Writer) {
	if len(l.Shapes) == 0 {
		return
	}
	fmt.Fprintf(w, "The same while the intake takes a burst on the same database (%d connections: %d postbacks accepted, %.0f/s, p99 %s)\n",
		loadedConns, l.Accepted, l.IntakePerSecond, ms(l.IntakeP99))
	fmt.Fprintf(w, "%-34s %8s %10s %10s\n", "shape", "groups", "median ms", "max ms")
	for _, s := range l.Shapes {
		verdict := ""
		if s.Max >= 500 {
			verdict = "  500 ms or over"
		}
		fmt.Fprintf(w, "%-34s %8d %10.0f %10.0f%s\n", s.Shape, s.Groups, s.Median, s.Max, verdict)
	}
}
