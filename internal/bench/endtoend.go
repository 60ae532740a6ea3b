package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/destinations"
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
}

// fakeDestination counts deliveries per transaction on 127.0.0.1.
type fakeDestination struct {
	mu    sync.Mutex
	byTx  map[string]int
	total int
	srv   *http.Server
	url   string
}

func newFakeDestination() (*fakeDestination, error) {
	f := &fakeDestination{byTx: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f.url = "http://" + ln.Addr().String()
	f.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		tx := r.URL.Query().Get("tx")
		if tx == "" { // a webhook: the transaction is in the JSON body
			var body struct {
				Conversion struct {
					TransactionID string `json:"transaction_id"`
				} `json:"conversion"`
			}
			_ = json.Unmarshal(raw, &body)
			tx = body.Conversion.TransactionID
		}
		f.mu.Lock()
		f.byTx[tx]++
		f.total++
		f.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

func (f *fakeDestination) counts() (total, duplicated int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.byTx {
		if n > 1 {
			duplicated += n - 1
		}
	}
	return f.total, duplicated
}

// mix is the realistic postback mix: 60% new approved conversions, 20% pending then
// approved, 15% approved then an exact duplicate, 5% with disable_postbacks.
type mix struct {
	first, second []string // query strings, second wave after the first is accepted
	conversions   int
	deliveries    int // expected
	suppressed    int
	duplicates    int
}

func buildMix(n int, clicks []string) mix {
	var m mix
	m.conversions = n
	for i := 0; i < n; i++ {
		tx := "E2E-" + strconv.Itoa(i)
		base := "click_id=" + clicks[i] + "&transaction_id=" + tx + "&commission=4.99"
		switch k := i % 20; {
		case k < 12:
			m.first = append(m.first, base+"&status=approved")
			m.deliveries += 2
		case k < 16:
			m.first = append(m.first, base+"&status=pending")
			m.second = append(m.second, base+"&status=approved")
			m.deliveries += 2
		case k < 19:
			m.first = append(m.first, base+"&status=approved")
			m.second = append(m.second, base+"&status=approved")
			m.deliveries += 2
			m.duplicates++
		default:
			m.first = append(m.first, base+"&status=approved&disable_postbacks=1")
			m.suppressed++
		}
	}
	return m
}

// EndToEnd sends the mix to the running stack's intake and waits until every
// postback is processed and every expected delivery received, then reads the
// per-postback timings from the store.
func EndToEnd(ctx context.Context, st *store.Store, apiBase, accountID string, n, conns int) (EndToEndResult, error) {
	var res EndToEndResult
	hook, err := newFakeDestination()
	if err != nil {
		return res, err
	}
	defer hook.srv.Close()
	source, err := newFakeDestination()
	if err != nil {
		return res, err
	}
	defer source.srv.Close()
	payout := decimal.RequireFromString("3.00")
	camp, err := st.CreateCampaign(ctx, store.Campaign{AccountID: accountID, Name: "bench", OfferURL: "https://offer.example/?c={click_id}",
		DefaultPayout: &payout, TrafficSource: "bench-ts", TrafficSourcePostback: source.url + "/ts?tx={transaction_id}&cid={click_id}&payout={payout}"})
	if err != nil {
		return res, err
	}
	if _, err := st.CreateDestination(ctx, store.Destination{AccountID: accountID, Type: "webhook", Name: "bench hook",
		Config: map[string]string{"url": hook.url + "/hook", "secret": "bench-secret-123"}, Enabled: true, CampaignID: &camp.ID,
		// One conversion per transaction, as the bench's mix counts deliveries.
		FireOn: destinations.FireOnOf(destinations.LifeFirst, destinations.LifeRejected)}); err != nil {
		return res, err
	}
	clicks := make([]string, n)
	for i := range clicks {
		k, err := st.InsertClick(ctx, store.Click{AccountID: accountID, CampaignID: &camp.ID, VisitorID: "v" + strconv.Itoa(i)})
		if err != nil {
			return res, err
		}
		clicks[i] = k.ID
	}
	m := buildMix(n, clicks)
	var startID int64
	if err := st.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM postback_log`).Scan(&startID); err != nil {
		return res, err
	}
	client := NewClient(conns)
	demo, err := st.GetIntegration(ctx, accountID, "demo")
	if err != nil || len(demo.Tokens) == 0 {
		return res, fmt.Errorf("end to end: demo integration token: %v", err)
	}
	url := apiBase + "/" + accountID + "/collect/demo?token=" + demo.Tokens[0].Secret + "&"
	send := func(qs []string) LoadResult {
		return Burst(ctx, client, conns, len(qs), func(i int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, url+qs[i], nil)
		}, func(r *http.Response) bool { return r.StatusCode == http.StatusOK })
	}
	r1 := send(m.first)
	r2 := send(m.second)
	if r1.Errors+r2.Errors > 0 {
		return res, fmt.Errorf("end to end: %d postbacks not accepted: %s %s", r1.Errors+r2.Errors, r1.FirstError, r2.FirstError)
	}
	res.Postbacks = len(m.first) + len(m.second)
	res.Conversions, res.Suppressed, res.Duplicates = m.conversions, m.suppressed, m.duplicates
	deadline := time.Now().Add(30 * time.Minute)
	lastLine := time.Now()
	for {
		var waiting int
		if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM postback_log WHERE id > $1 AND processed_at IS NULL`, startID).Scan(&waiting); err != nil {
			return res, err
		}
		h, _ := hook.counts()
		s, _ := source.counts()
		if waiting == 0 && h+s >= m.deliveries {
			break
		}
		if ProgressOut != nil && time.Since(lastLine) >= 5*time.Second {
			fmt.Fprintf(ProgressOut, "  %d/%d postbacks applied, %d/%d deliveries received\n", res.Postbacks-waiting, res.Postbacks, h+s, m.deliveries)
			lastLine = time.Now()
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("end to end: not drained after 30 minutes (%d postbacks waiting, %d of %d deliveries)", waiting, h+s, m.deliveries)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second) // late duplicates, if any, would show up here
	h, hd := hook.counts()
	s, sd := source.counts()
	res.Deliveries, res.DuplicateRequests = h+s, hd+sd
	return res, timings(ctx, st, startID, &res)
}

// timings reads accept and completion times: a postback is done when it is
// processed and every delivery it caused is delivered.
func timings(ctx context.Context, st *store.Store, startID int64, res *EndToEndResult) error {
	rows, err := st.Pool.Query(ctx, `SELECT l.received_at, GREATEST(l.processed_at, max(d.delivered_at))
		FROM postback_log l LEFT JOIN deliveries d ON d.postback_id = l.id
		WHERE l.id > $1 GROUP BY l.id, l.received_at, l.processed_at`, startID)
	if err != nil {
		return fmt.Errorf("read timings: %w", err)
	}
	defer rows.Close()
	var lat []time.Duration
	var firstIn, lastIn, lastDone time.Time
	for rows.Next() {
		var in, done time.Time
		if err := rows.Scan(&in, &done); err != nil {
			return fmt.Errorf("scan timings: %w", err)
		}
		lat = append(lat, done.Sub(in))
		if firstIn.IsZero() || in.Before(firstIn) {
			firstIn = in
		}
		if in.After(lastIn) {
			lastIn = in
		}
		if done.After(lastDone) {
			lastDone = done
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.P50, res.P99 = percentiles(lat)
	res.Duration = lastDone.Sub(firstIn)
	res.Drain = lastDone.Sub(lastIn)
	res.PerSecond = float64(res.Conversions) / res.Duration.Seconds()
	return nil
}
