package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/convrelay/convrelay/internal/store"
)

// drainLimit is how long a phase may take to process what it sent before the
// bench gives up on it.
const drainLimit = 30 * time.Minute

// lastPostbackID is the newest postback_log row: a phase's postbacks are the rows
// after it.
func lastPostbackID(ctx context.Context, st *store.Store) (int64, error) {
	var id int64
	if err := st.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM postback_log`).Scan(&id); err != nil {
		return 0, fmt.Errorf("read the last postback id: %w", err)
	}
	return id, nil
}

// waitDrained returns once no postback after startID waits to be applied and the
// fixture's destinations received want deliveries, with a progress line every few
// seconds.
func waitDrained(ctx context.Context, st *store.Store, startID int64, postbacks, want int, f *fixture) error {
	deadline := time.Now().Add(drainLimit)
	lastLine := time.Now()
	for {
		var waiting int
		if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM postback_log WHERE id > $1 AND processed_at IS NULL`, startID).Scan(&waiting); err != nil {
			return fmt.Errorf("count postbacks waiting: %w", err)
		}
		got, _ := f.received()
		if waiting == 0 && got >= want {
			return nil
		}
		if ProgressOut != nil && time.Since(lastLine) >= progressInterval {
			fmt.Fprintf(ProgressOut, "  %d/%d postbacks applied, %d/%d deliveries received\n", postbacks-waiting, postbacks, got, want)
			lastLine = time.Now()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not drained after %s (%d postbacks waiting, %d of %d deliveries)", drainLimit, waiting, got, want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// latencies is when a phase's postbacks were accepted and done, and the spread
// of accept-to-done.
type latencies struct {
	P50, P99                  time.Duration
	FirstIn, LastIn, LastDone time.Time
}

// readLatencies reads accept and completion times of the postbacks after startID:
// a postback is done when it is processed and every delivery it caused is delivered.
func readLatencies(ctx context.Context, st *store.Store, startID int64) (latencies, error) {
	var l latencies
	rows, err := st.Pool.Query(ctx, `SELECT l.received_at, GREATEST(l.processed_at, max(d.delivered_at))
		FROM postback_log l LEFT JOIN deliveries d ON d.postback_id = l.id
		WHERE l.id > $1 GROUP BY l.id, l.received_at, l.processed_at`, startID)
	if err != nil {
		return l, fmt.Errorf("read timings: %w", err)
	}
	defer rows.Close()
	var lat []time.Duration
	for rows.Next() {
		var in, done time.Time
		if err := rows.Scan(&in, &done); err != nil {
			return l, fmt.Errorf("scan timings: %w", err)
		}
		lat = append(lat, done.Sub(in))
		if l.FirstIn.IsZero() || in.Before(l.FirstIn) {
			l.FirstIn = in
		}
		if in.After(l.LastIn) {
			l.LastIn = in
		}
		if done.After(l.LastDone) {
			l.LastDone = done
		}
	}
	if err := rows.Err(); err != nil {
		return l, fmt.Errorf("read timings: %w", err)
	}
	l.P50, l.P99 = percentiles(lat)
	return l, nil
}
