package admin

import (
	"context"
	"testing"

	"github.com/convrelay/convrelay/internal/config"
)

// Reports hold at most a quarter of the pool at once: past that, a report is
// answered too many instead of waiting for a connection the intake needs.
func TestReportsHoldAtMostAQuarterOfThePool(t *testing.T) {
	s := &Service{Config: config.Config{DBMaxConns: 8}}
	var releases []func()
	for i := 0; i < 2; i++ {
		release, err := s.reportSlot(context.Background())
		if err != nil {
			t.Fatalf("slot %d of 2: %v", i, err)
		}
		releases = append(releases, release)
	}
	if _, err := s.reportSlot(context.Background()); AsError(err).Kind != KindTooMany {
		t.Fatalf("a third report with a pool of 8: %v, want too many", err)
	}
	releases[0]()
	if _, err := s.reportSlot(context.Background()); err != nil {
		t.Fatalf("after one finished: %v", err)
	}
}
