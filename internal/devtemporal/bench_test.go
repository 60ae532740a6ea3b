package devtemporal

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/convrelay/convrelay/internal/pgserver"
)

// BenchmarkPersistence compares the two persistences on the bench's yardstick:
// 1000 workflows started with SignalWithStart by 32 concurrent starters, each
// running two no-op activities in sequence, on one worker of up to 200
// concurrent tasks; workflows/s from the first start to the last completion.
// PostgreSQL is a local cluster from internal/pgserver with its normal
// durability settings (fsync on), like the dev stack's. Each sub-benchmark
// starts a fresh server; -count repeats it:
//
//	go test -run '^$' -bench Persistence -benchtime 1x -count 2 ./internal/devtemporal
func BenchmarkPersistence(b *testing.B) {
	if testing.Short() {
		b.Skip("starts servers (skipped with -short)")
	}
	b.Run("sqlite_wal_4_shards", func(b *testing.B) {
		benchPersistence(b, Options{DataDir: b.TempDir(), HistoryShards: 4})
	})
	b.Run("postgres_16_shards", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(b.TempDir(), "pg"), Port: 0, Logger: testLogger()})
		if err != nil {
			b.Fatalf("start PostgreSQL: %v", err)
		}
		defer func() { _ = pg.Stop() }()
		if err := pg.EnsureDatabase(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
		benchPersistence(b, Options{PostgresURL: pg.URL("bench"), HistoryShards: 16})
	})
}

const (
	benchWorkflows   = 1000
	benchStarters    = 32
	benchConcurrency = 200
	benchQueue       = "devtemporal-bench"
)

func benchWorkflow(ctx workflow.Context) error {
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, nil)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	for range 2 {
		if err := workflow.ExecuteActivity(ctx, benchActivity).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func benchActivity(context.Context) error { return nil }

func benchPersistence(b *testing.B, opts Options) {
	opts.UIPort = -1
	opts.Logger = testLogger()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	s, err := Start(ctx, opts)
	cancel()
	if err != nil {
		b.Fatalf("Start: %v", err)
	}
	defer func() { _ = s.Stop() }()
	c, err := client.Dial(client.Options{
		HostPort:  s.FrontendAddress(),
		Namespace: s.Namespace(),
		Logger:    sdklog.NewStructuredLogger(testLogger()),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, benchQueue, worker.Options{
		MaxConcurrentActivityExecutionSize:     benchConcurrency,
		MaxConcurrentWorkflowTaskExecutionSize: benchConcurrency,
		MaxConcurrentActivityTaskPollers:       8,
		MaxConcurrentWorkflowTaskPollers:       8,
	})
	w.RegisterWorkflow(benchWorkflow)
	w.RegisterActivity(benchActivity)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()

	var total time.Duration
	b.ResetTimer()
	for i := range b.N {
		d, err := runBenchWorkflows(fmt.Sprintf("%s-%d-%d", b.Name(), time.Now().UnixNano(), i), c)
		if err != nil {
			b.Fatal(err)
		}
		total += d
		b.Logf("%s: %d workflows in %s: %.1f workflows/s", b.Name(), benchWorkflows, d.Round(time.Millisecond), benchWorkflows/d.Seconds())
	}
	b.ReportMetric(float64(b.N*benchWorkflows)/total.Seconds(), "workflows/s")
}

func runBenchWorkflows(prefix string, c client.Client) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var (
		next     atomic.Int64
		last     atomic.Int64
		errOnce  sync.Once
		firstErr error
		starters sync.WaitGroup
		waiters  sync.WaitGroup
	)
	fail := func(err error) { errOnce.Do(func() { firstErr = err; cancel() }) }
	begin := time.Now()
	for range benchStarters {
		starters.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= benchWorkflows {
					return
				}
				id := fmt.Sprintf("%s-%d", prefix, i)
				run, err := c.SignalWithStartWorkflow(ctx, id, "go", nil,
					client.StartWorkflowOptions{ID: id, TaskQueue: benchQueue}, benchWorkflow)
				if err != nil {
					fail(fmt.Errorf("SignalWithStart %s: %w", id, err))
					return
				}
				waiters.Go(func() {
					if err := run.Get(ctx, nil); err != nil {
						fail(fmt.Errorf("workflow %s: %w", id, err))
						return
					}
					now := time.Now().UnixNano()
					for {
						old := last.Load()
						if now <= old || last.CompareAndSwap(old, now) {
							break
						}
					}
				})
			}
		})
	}
	starters.Wait()
	waiters.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return time.Unix(0, last.Load()).Sub(begin), nil
}
