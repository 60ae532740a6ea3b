package drill

import (
	"context"
	"errors"
	"sync"
	"time"
)

// stepGap separates the postbacks of one transaction in the steady load.
const stepGap = 300 * time.Millisecond

// load starts new transactions at a steady rate until stopped; each one sends its
// postbacks in order, retrying until accepted.
type load struct {
	stopc chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	plans []txPlan
	errs  []error
}

func (e *env) startLoad(ctx context.Context, perSecond float64, plan func(i int) txPlan) *load {
	l := &load{stopc: make(chan struct{}), done: make(chan struct{})}
	interval := time.Duration(float64(time.Second) / perSecond)
	go func() {
		defer close(l.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		start, lastLine := time.Now(), time.Now()
		for i := 0; ; i++ {
			if time.Since(lastLine) >= 5*time.Second {
				n := e.send.accepted.Load()
				e.step("load: %d transactions started, %d postbacks accepted (%.0f/s)", i, n, float64(n)/time.Since(start).Seconds())
				lastLine = time.Now()
			}
			p := plan(i)
			l.mu.Lock()
			l.plans = append(l.plans, p)
			l.mu.Unlock()
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				if err := e.send.runTx(ctx, p, stepGap); err != nil {
					l.mu.Lock()
					l.errs = append(l.errs, err)
					l.mu.Unlock()
				}
			}()
			select {
			case <-l.stopc:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return l
}

// started is how many transactions have been started so far.
func (l *load) started() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.plans)
}

// stop starts no more transactions and waits until every started one has all its
// postbacks accepted. It returns the transactions and the first errors.
func (l *load) stop() ([]txPlan, error) {
	close(l.stopc)
	<-l.done
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) > 3 {
		l.errs = append(l.errs[:3], errors.New("..."))
	}
	return l.plans, errors.Join(l.errs...)
}
