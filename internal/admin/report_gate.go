package admin

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Reports share the database pool with the intake, so a key that may read
// reports (a read-only one included) must not be able to hold that pool: each
// process reads at most a quarter of its pool's connections in reports at
// once, and each report is cancelled after reportTimeout (pgx cancels the
// query on the server).
const (
	reportTimeout  = 30 * time.Second
	reportSlotWait = 2 * time.Second
)

type reportGate struct {
	once  sync.Once
	slots chan struct{}
}

// reportSlot takes one of the process's report slots, waiting briefly; it
// answers too many when none frees up.
func (s *Service) reportSlot(ctx context.Context) (func(), error) {
	s.reports.once.Do(func() {
		n := int(s.Config.DBMaxConns) / 4
		if n < 1 {
			n = 1
		}
		s.reports.slots = make(chan struct{}, n)
	})
	wait := time.NewTimer(reportSlotWait)
	defer wait.Stop()
	select {
	case s.reports.slots <- struct{}{}:
		return func() { <-s.reports.slots }, nil
	case <-wait.C:
		return nil, refuse(KindTooMany, "too many reports are being read at once; retry in a moment")
	case <-ctx.Done():
		return nil, refuse(KindUnavailable, "request ended")
	}
}

// reportFailure reads a report's error: past its time it is unavailable with
// advice, not an internal error.
func reportFailure(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return refuse(KindUnavailable, "the report took longer than 30 s; narrow its dates or filters")
	}
	return fromStore("report", err)
}
