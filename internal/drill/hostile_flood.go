package drill

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convrelay/convrelay/internal/subproc"
)

// The hostile drill's abuse of the doors: a flood of requests without the
// token from many addresses (X-Forwarded-For through the trusted loopback
// proxy), while a network with the token keeps getting 200; and the click
// path's odd bytes and guessed campaign ids.

const (
	lockedSlug  = "locked"
	lockedToken = "drill-locked-token-0123456789abcdef"
	// floodWorkers send tokenless requests 5 ms apart (a bounded load on 2 cores).
	floodWorkers = 2
	// refusedBound is the product's default bound of refused rows stored per
	// account per minute (CONVRELAY_REFUSED_LOG_PER_MINUTE).
	refusedBound = 20
)

// floodResult is what the flood and the network with the token saw.
type floodResult struct {
	flood, floodOther, floodBad atomic.Int64 // 403s, other 4xx, 5xx or no answer
	network, networkBad         atomic.Int64 // 200s, anything else
	badSample                   atomic.Value // one failure, as text
	started                     time.Time
	wait                        func() // returns once every sender stopped
}

// setUpFlood gives the target a closed integration and a campaign; it returns
// the campaign's slug and numeric id (the click requests use both).
func setUpFlood(ctx context.Context, target *account) (slug string, id int64, err error) {
	if err := target.admin(ctx, "POST", "/integrations", map[string]any{"slug": lockedSlug, "preset": "custom", "token": lockedToken},
		http.StatusCreated, nil); err != nil {
		return "", 0, fmt.Errorf("closed integration: %w", err)
	}
	var cp struct {
		ID   int64  `json:"id"`
		Slug string `json:"slug"`
	}
	if err := target.admin(ctx, "POST", "/campaigns", map[string]any{"name": "hostile clicks",
		"offer_url": "https://offer.example/?c={click_id}&s={sub1}"}, http.StatusCreated, &cp); err != nil {
		return "", 0, fmt.Errorf("campaign: %w", err)
	}
	return cp.Slug, cp.ID, nil
}

// runFlood floods the closed integration without its token from addresses
// that change every request, and sends a postback with the token every 200 ms,
// until ctx ends.
func runFlood(ctx context.Context, base, account string) *floodResult {
	out := &floodResult{started: time.Now()}
	client := &http.Client{Timeout: 30 * time.Second}
	path := base + "/" + account + "/collect/" + lockedSlug
	var wg sync.WaitGroup
	for w := range floodWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				addr := fmt.Sprintf("198.18.%d.%d", rand.IntN(256), rand.IntN(254)+1)
				if n%2 == 1 {
					addr = fmt.Sprintf("2001:db8:%x:%x::%x", w, rand.IntN(1<<16), rand.IntN(1<<16))
				}
				q := "click_id=flood&transaction_id=F-" + strconv.Itoa(n)
				if n%3 == 0 {
					q += "&token=wrong"
				}
				code, err := get(ctx, client, path+"?"+q, addr)
				switch {
				case ctx.Err() != nil:
				case err != nil || code >= 500:
					out.floodBad.Add(1)
					out.badSample.Store(fmt.Sprintf("tokenless request: %d %v", code, err))
				case code == http.StatusForbidden:
					out.flood.Add(1)
				default:
					out.floodOther.Add(1)
				}
				if subproc.Sleep(ctx, 5*time.Millisecond) != nil {
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ctx.Err() == nil; n++ {
			code, err := get(ctx, client, path+"?click_id=net&commission=1&transaction_id=NET-"+strconv.Itoa(n)+"&token="+lockedToken, "192.0.2.77")
			switch {
			case ctx.Err() != nil:
			case err == nil && code == http.StatusOK:
				out.network.Add(1)
			default:
				out.networkBad.Add(1)
				out.badSample.Store(fmt.Sprintf("network with the token: %d %v", code, err))
			}
			if subproc.Sleep(ctx, 200*time.Millisecond) != nil {
				return
			}
		}
	}()
	out.wait = wg.Wait
	return out
}

func get(ctx context.Context, client *http.Client, url, from string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Forwarded-For", from)
	return statusOf(client, req)
}

// checkFlood adds the flood's problems and notes to r: no 5xx, the network
// with the token always answered 200, and the refused rows stored within the
// per-account bound.
func checkFlood(ctx context.Context, r *Result, target *account, f *floodResult) {
	if v, ok := f.badSample.Load().(string); ok {
		r.problem("flood: %s (tokenless 5xx %d, network refused %d)", v, f.floodBad.Load(), f.networkBad.Load())
	}
	if f.network.Load() == 0 {
		r.problem("flood: the network with the token got no 200")
	}
	stored, err := countRefused(ctx, target)
	if err != nil {
		r.problem("flood: read the refused rows: %v", err)
		return
	}
	minutes := int(time.Since(f.started)/time.Minute) + 2 // the minutes the drill touched
	if stored > refusedBound*minutes {
		r.problem("flood: %d refused rows stored, want at most %d a minute", stored, refusedBound)
	}
	r.Notes = append(r.Notes, fmt.Sprintf("tokenless flood: %d answered 403 (%d other 4xx), %d refused rows stored; network with the token: %d×200",
		f.flood.Load(), f.floodOther.Load(), stored, f.network.Load()))
}

func countRefused(ctx context.Context, a *account) (int, error) {
	n, cursor := 0, ""
	for {
		var page struct {
			Postbacks []struct{} `json:"postbacks"`
			Next      *string    `json:"next_cursor"`
		}
		if err := a.admin(ctx, "GET", "/postbacks?outcome=rejected&limit=500"+cursor, nil, http.StatusOK, &page); err != nil {
			return 0, err
		}
		n += len(page.Postbacks)
		if page.Next == nil {
			return n, nil
		}
		cursor = "&cursor=" + *page.Next
	}
}

// clickRequests are the click path's odd bytes and guesses: each is answered
// 302 (a real slug, odd bytes in its parameters) or 404, never 5xx.
func clickRequests() []hostileRequest {
	return []hostileRequest{
		{class: "click: odd bytes in parameters", method: "GET", path: "/c/{slug}", query: "sub1=x%00y&sub10=%FF&p=a%C3&external_id=%00&fbclid=%FF"},
		{class: "click: guessed numeric id", method: "GET", path: "/c/{campaign_id}", query: "sub1=guess"},
		{class: "click: slug with odd bytes", method: "GET", path: "/c/{slug}%00", query: ""},
		{class: "click: path not UTF-8", method: "GET", path: "/c/%FF%FE", query: "sub1=%FF"},
		{class: "click: made-up slug", method: "GET", path: "/c/0123456789abcdef0123456789abcdef", query: ""},
	}
}
