package drill

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/convrelay/convrelay/internal/subproc"
)

// Drill is one fault drill.
type Drill struct {
	Name string
	What string
	Run  func(ctx context.Context, s *Stack, c Config) Result
}

// Drills lists the fault drills in the order they run.
func Drills() []Drill {
	return []Drill{
		{"worker-kill", "the worker SIGKILLed in the middle of deliveries, then restarted", workerKill},
		{"temporal-outage", "Temporal stopped while postbacks keep arriving, then restarted", temporalOutage},
		{"postgres-restart", "PostgreSQL crashed (and, in the full form, cleanly restarted) under load", postgresRestart},
		{"destination-503", "both destinations answer 503 for a while, then recover", destination503},
		{"storm", "identical copies of each postback sent at once, statuses out of order", storm},
		{"postgres-long", "PostgreSQL down for minutes under load; every accepted postback applied after", postgresLong},
		{"hostile", "every hostile input class mixed into normal traffic: 4xx or applied, never 5xx", hostile},
		{"fair", "one account bursts; another account's postbacks are applied within the bound", fair},
	}
}

// Run runs the drills (only the named one when only is set) on a running stack and
// writes each report to out as it finishes.
func Run(ctx context.Context, s *Stack, c Config, only string, out io.Writer) ([]Result, error) {
	var results []Result
	for _, d := range Drills() {
		if only != "" && only != d.Name {
			continue
		}
		s.step("drill %s: %s", d.Name, d.What)
		r := d.Run(ctx, s, c)
		r.Name = d.Name
		fmt.Fprint(out, r.Report())
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("no drill named %q (have %s)", only, strings.Join(Names(), ", "))
	}
	return results, nil
}

// Names lists the drill names.
func Names() []string {
	var names []string
	for _, d := range Drills() {
		names = append(names, d.Name)
	}
	return names
}

// faultDrill runs steady load, calls fault (which waits its lead, breaks
// something and repairs it), keeps the load on for c.Tail, then checks.
func faultDrill(ctx context.Context, s *Stack, c Config, name string, latency, faultLen time.Duration,
	fault func(ctx context.Context, e *env) error) Result {
	start := time.Now()
	e, err := newEnv(ctx, s, name, latency)
	if err != nil {
		return setupFailed(name, err)
	}
	defer e.close()
	ld := e.startLoad(ctx, c.Rate, func(i int) txPlan { return mixPlan(prefixOf(name), i, e.click(i)) })
	faultErr := fault(ctx, e)
	_ = subproc.Sleep(ctx, c.Tail)
	plans, loadErr := ld.stop()
	e.step("load stopped: %d transactions, %d postbacks accepted", len(plans), e.send.accepted.Load())
	r := e.verify(ctx, plans, drainTimeout(faultLen), c.Quiet)
	finish(&r, e, s, plans, faultErr, loadErr)
	r.Took = time.Since(start)
	return r
}

// finish adds what the sender and the fakes saw, and any process or fault failure.
func finish(r *Result, e *env, s *Stack, plans []txPlan, errs ...error) {
	r.Sent = int(e.send.accepted.Load())
	planned := 0
	for _, p := range plans {
		planned += p.postbacks()
	}
	if r.Sent != planned {
		r.problem("%d postbacks accepted, %d planned", r.Sent, planned)
	}
	if n := e.send.retried.Load(); n > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("postbacks re-sent after a refusal: %d (%s)", n, e.send.retries()))
	}
	for _, f := range []*fakeDest{e.hook, e.source} {
		if refused, _, _ := f.stats(); refused > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%s answered 503 %d times", f.Name, refused))
		}
	}
	for _, err := range errs {
		if err != nil {
			r.problem("%v", err)
		}
	}
	if err := s.Alive(); err != nil {
		r.problem("%v", err)
	}
}

func prefixOf(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "-") {
		b.WriteString(strings.ToUpper(part[:1]))
	}
	return b.String()
}

func workerKill(ctx context.Context, s *Stack, c Config) Result {
	// Slow destinations keep deliveries in flight, so the kill lands among them.
	return faultDrill(ctx, s, c, "worker-kill", 200*time.Millisecond, c.WorkerDown, func(ctx context.Context, e *env) error {
		for range c.WorkerKills {
			if err := subproc.Sleep(ctx, c.Lead); err != nil {
				return err
			}
			inFlight := 0
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				_, _, a := e.hook.stats()
				_, _, b := e.source.stats()
				if inFlight = a + b; inFlight > 0 {
					break
				}
			}
			if err := s.KillWorker(); err != nil {
				return err
			}
			e.step("killed with %d deliveries in flight", inFlight)
			if err := subproc.Sleep(ctx, c.WorkerDown); err != nil {
				return err
			}
			if err := s.StartWorker(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

func temporalOutage(ctx context.Context, s *Stack, c Config) Result {
	return faultDrill(ctx, s, c, "temporal-outage", 0, c.TemporalDown, func(ctx context.Context, e *env) error {
		if err := subproc.Sleep(ctx, c.Lead); err != nil {
			return err
		}
		if err := s.StopTemporal(); err != nil {
			return err
		}
		before := e.send.accepted.Load()
		if err := subproc.Sleep(ctx, c.TemporalDown); err != nil {
			return err
		}
		e.step("%d postbacks accepted while Temporal was down", e.send.accepted.Load()-before)
		return s.StartTemporal(ctx)
	})
}

func postgresRestart(ctx context.Context, s *Stack, c Config) Result {
	return faultDrill(ctx, s, c, "postgres-restart", 0, c.PostgresDown, func(ctx context.Context, e *env) error {
		if c.CleanRestart {
			if err := subproc.Sleep(ctx, c.Lead); err != nil {
				return err
			}
			if err := s.StopPostgres(); err != nil {
				return err
			}
			if err := s.StartPostgres(ctx); err != nil {
				return err
			}
		}
		if err := subproc.Sleep(ctx, c.Lead); err != nil {
			return err
		}
		if err := s.KillPostgres(); err != nil {
			return err
		}
		if err := subproc.Sleep(ctx, c.PostgresDown); err != nil {
			return err
		}
		return s.StartPostgres(ctx)
	})
}

func destination503(ctx context.Context, s *Stack, c Config) Result {
	return faultDrill(ctx, s, c, "destination-503", 0, c.Dest503, func(ctx context.Context, e *env) error {
		if err := subproc.Sleep(ctx, c.Lead); err != nil {
			return err
		}
		e.hook.setFailing(true)
		e.source.setFailing(true)
		e.step("destinations answer 503 for %s", c.Dest503)
		err := subproc.Sleep(ctx, c.Dest503)
		e.hook.setFailing(false)
		e.source.setFailing(false)
		e.step("destinations recovered")
		return err
	})
}

// storm sends every postback of each transaction as StormCopies identical
// requests at once, a few transactions at a time, with statuses out of order.
func storm(ctx context.Context, s *Stack, c Config) Result {
	const name, parallel = "storm", 4
	start := time.Now()
	e, err := newEnv(ctx, s, name, 0)
	if err != nil {
		return setupFailed(name, err)
	}
	defer e.close()
	plans := make([]txPlan, c.StormTx)
	for i := range plans {
		plans[i] = stormPlan("ST", i, e.click(i), c.StormCopies)
	}
	errs := make(chan error, len(plans))
	sem := make(chan struct{}, parallel)
	for _, p := range plans {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errs <- e.send.runTx(ctx, p, 0)
		}()
	}
	var sendErr error
	for range plans {
		if err := <-errs; err != nil && sendErr == nil {
			sendErr = err
		}
	}
	e.step("sent: %d transactions, %d postbacks accepted", len(plans), e.send.accepted.Load())
	r := e.verify(ctx, plans, drainTimeout(0), c.Quiet)
	finish(&r, e, s, plans, sendErr)
	r.Took = time.Since(start)
	return r
}
