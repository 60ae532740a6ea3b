package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/convrelay/convrelay/internal/store"
)

// EndToEndResult is the full path: accepted, attributed, recorded, delivered.
type EndToEndResult struct {
	Conversions       int           `json:"conversions"`
	Postbacks         int           `json:"postbacks"`
	Deliveries        int           `json:"deliveries"`
	Suppressed        int           `json:"suppressed"`
	Duplicates        int           `json:"duplicates"`
	Duration          time.Duration `json:"duration_ns"`
	PerSecond         float64       `json:"conversions_per_second"`
	Drain             time.Duration `json:"drain_ns"`
	P50               time.Duration `json:"p50_accept_to_done_ns"`
	P99               time.Duration `json:"p99_accept_to_done_ns"`
	DuplicateRequests int           `json:"duplicate_deliveries_seen"`
	CPU               CPUCost       `json:"cpu"`
}

// mix is the realistic postback mix: 60% new approved conversions, 20% pending then
// approved, 15% approved then an exact duplicate, 5% with disable_postbacks.
type mix struct {
	postbacks  [][]string // each conversion's query strings, in the order they are sent
	deliveries int        // expected
	suppressed int
	duplicates int
}

// buildMix makes n conversions on the given clicks, transaction ids prefix0..prefix<n-1>.
func buildMix(prefix string, n int, clicks []string) mix {
	m := mix{postbacks: make([][]string, n)}
	for i := 0; i < n; i++ {
		base := "click_id=" + clicks[i] + "&transaction_id=" + prefix + strconv.Itoa(i) + "&commission=4.99"
		switch k := i % 20; {
		case k < 12:
			m.postbacks[i] = []string{base + "&status=approved"}
			m.deliveries += 2
		case k < 16:
			m.postbacks[i] = []string{base + "&status=pending", base + "&status=approved"}
			m.deliveries += 2
		case k < 19:
			m.postbacks[i] = []string{base + "&status=approved", base + "&status=approved"}
			m.deliveries += 2
			m.duplicates++
		default:
			m.postbacks[i] = []string{base + "&status=approved&disable_postbacks=1"}
			m.suppressed++
		}
	}
	return m
}

// wave is the k-th postback of every conversion that has one: the burst sends
// wave 1 once wave 0 is accepted.
func (m mix) wave(k int) []string {
	var qs []string
	for _, p := range m.postbacks {
		if k < len(p) {
			qs = append(qs, p[k])
		}
	}
	return qs
}

// count is the number of postbacks in the mix.
func (m mix) count() int {
	n := 0
	for _, p := range m.postbacks {
		n += len(p)
	}
	return n
}

// EndToEnd sends the mix to the running stack's intake as fast as conns senders
// can, waits until every postback is processed and every expected delivery
// received, then reads the per-postback timings from the store. meter measures the
// CPU spent from the first postback to the drain.
func EndToEnd(ctx context.Context, st *store.Store, apiBase, accountID string, n, conns int, meter CPUMeter) (EndToEndResult, error) {
	return endToEnd(ctx, st, []string{apiBase}, accountID, n, conns, meter, e2ePrefix, "bench")
}

// endToEnd is EndToEnd with the postbacks spread over apiBases, the
// transaction ids prefix0..prefix<n-1> and the fixture's campaign called name,
// so that several end-to-end phases of one run do not meet.
func endToEnd(ctx context.Context, st *store.Store, apiBases []string, accountID string, n, conns int, meter CPUMeter, prefix, name string) (EndToEndResult, error) {
	var res EndToEndResult
	f, err := newFixtureOn(ctx, st, apiBases, accountID, name, n)
	if err != nil {
		return res, fmt.Errorf("end to end: %w", err)
	}
	defer f.close()
	m := buildMix(prefix, n, f.clicks)
	startID, err := lastPostbackID(ctx, st)
	if err != nil {
		return res, fmt.Errorf("end to end: %w", err)
	}
	client := NewClient(conns)
	send := func(qs []string) LoadResult {
		return Burst(ctx, client, conns, len(qs), func(i int) (*http.Request, error) { return f.request(qs[i]) },
			answeredOK)
	}
	cpu0, err := meter.Sample()
	if err != nil {
		return res, fmt.Errorf("end to end: %w", err)
	}
	r1 := send(m.wave(0))
	r2 := send(m.wave(1))
	if r1.Errors+r2.Errors > 0 {
		return res, fmt.Errorf("end to end: %d postbacks not accepted: %s %s", r1.Errors+r2.Errors, r1.FirstError, r2.FirstError)
	}
	res.Postbacks = m.count()
	res.Conversions, res.Suppressed, res.Duplicates = n, m.suppressed, m.duplicates
	if err := waitDrained(ctx, st, startID, res.Postbacks, m.deliveries, f); err != nil {
		return res, fmt.Errorf("end to end: %w", err)
	}
	cpu1, err := meter.Sample()
	if err != nil {
		return res, fmt.Errorf("end to end: %w", err)
	}
	res.CPU = cpuCost(cpu0, cpu1, n)
	time.Sleep(time.Second) // late duplicates, if any, would show up here
	res.Deliveries, res.DuplicateRequests = f.received()
	l, err := readLatencies(ctx, st, startID)
	if err != nil {
		return res, fmt.Errorf("end to end: %w", err)
	}
	res.P50, res.P99 = l.P50, l.P99
	res.Duration = l.LastDone.Sub(l.FirstIn)
	res.Drain = l.LastDone.Sub(l.LastIn)
	res.PerSecond = float64(res.Conversions) / res.Duration.Seconds()
	return res, nil
}
