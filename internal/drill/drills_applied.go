package drill

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convrelay/convrelay/internal/subproc"
)

// postgresLong keeps PostgreSQL down for minutes under load: the API answers 503
// (the sender retries, as networks do), the workflows' database steps retry until
// it is back, and every postback accepted before the crash is applied after it.
func postgresLong(ctx context.Context, s *Stack, c Config) Result {
	return faultDrill(ctx, s, c, "postgres-long", 0, c.PostgresLong, func(ctx context.Context, e *env) error {
		if err := subproc.Sleep(ctx, c.Lead); err != nil {
			return err
		}
		if err := s.KillPostgres(); err != nil {
			return err
		}
		e.step("PostgreSQL down for %s", c.PostgresLong)
		if err := subproc.Sleep(ctx, c.PostgresLong); err != nil {
			return err
		}
		return s.StartPostgres(ctx)
	})
}

// hostileRequest is one request of an input class the intake must refuse with a
// 4xx (or accept and then apply): never a 5xx.
type hostileRequest struct {
	class  string
	method string
	path   string // after the API base; {account}, {slug} and {campaign_id} are replaced
	query  string
	ctype  string
	body   string
}

func hostileRequests() []hostileRequest {
	long := func(n int) string { return strings.Repeat("x", n) }
	return []hostileRequest{
		{class: "value over the column", method: "GET", path: "/{account}/collect/net", query: "click_id=h&transaction_id=H-BIG-{n}&commission=999999999999999&status=approved"},
		{class: "value past the range", method: "GET", path: "/{account}/collect/net", query: "click_id=h&commission=1e20"},
		{class: "3,000-character click id", method: "GET", path: "/{account}/collect/net", query: "click_id=" + long(3000)},
		{class: "long transaction id", method: "GET", path: "/{account}/collect/net", query: "click_id=h&transaction_id=" + long(400)},
		{class: "20,000 parameters", method: "GET", path: "/{account}/collect/net", query: "click_id=h" + strings.Repeat("&p=1", 20000)},
		{class: "future timestamp", method: "GET", path: "/{account}/collect/net", query: "click_id=h&timestamp=2999-01-01"},
		{class: "path not UTF-8", method: "GET", path: "/{account}/collect/%FF", query: "click_id=h"},
		{class: "account not UTF-8", method: "GET", path: "/%FF%FE/collect/net", query: "click_id=h"},
		{class: "invalid UTF-8 and NUL in the query", method: "GET", path: "/{account}/collect/net", query: "click_id=h%FF%00&transaction_id=H-UTF-{n}&sub1=%C3"},
		{class: "NUL and bad UTF-8 in JSON", method: "POST", path: "/{account}/collect/net", ctype: "application/json",
			body: "{\"click_id\":\"h\\u0000\",\"transaction_id\":\"H-JSON-{n}\",\"x\":\"\xff\"}"},
		{class: "malformed JSON", method: "POST", path: "/{account}/collect/net", ctype: "application/json", body: `{"click_id": "h",`},
		{class: "bad UTF-8 in a form", method: "POST", path: "/{account}/collect/net", ctype: "application/x-www-form-urlencoded", body: "click_id=h\xfe&transaction_id=H-FORM-{n}"},
		{class: "body too large", method: "POST", path: "/{account}/collect/net", ctype: "application/json", body: `{"click_id":"` + long(70<<10) + `"}`},
	}
}

// hostile mixes every input class above into normal traffic: each is answered
// 4xx or accepted and then applied, and no request gets a 5xx while the database
// is up. The hostile requests go to an account of their own (no destinations), so
// the normal traffic's checks stay exact.
func hostile(ctx context.Context, s *Stack, c Config) Result {
	const name = "hostile"
	start := time.Now()
	e, err := newEnv(ctx, s, name, 0)
	if err != nil {
		return setupFailed(name, err)
	}
	defer e.close()
	target, err := s.openAccount(ctx, "drill hostile target")
	if err != nil {
		return setupFailed(name, err)
	}
	slug, campaignID, err := setUpFlood(ctx, target)
	if err != nil {
		return setupFailed(name, err)
	}
	ld := e.startLoad(ctx, c.Rate, func(i int) txPlan { return mixPlan("HO", i, e.click(i)) })
	floodCtx, stopFlood := context.WithCancel(ctx)
	flood := runFlood(floodCtx, s.APIBase, target.ID)
	var (
		mu       sync.Mutex
		byStatus = map[string]map[int]int{} // class -> status -> count
		fiveXX   []string
		sent     atomic.Int64
	)
	// The click path answers 302: the drill reads the answer, it does not follow it.
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	reqs := append(hostileRequests(), clickRequests()...)
	vars := strings.NewReplacer("{account}", target.ID, "{slug}", slug, "{campaign_id}", fmt.Sprint(campaignID))
	deadline := time.Now().Add(c.Lead + c.Tail)
	for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
		h := reqs[n%len(reqs)]
		code, err := sendHostile(ctx, client, s.APIBase, vars, h, n)
		sent.Add(1)
		mu.Lock()
		if byStatus[h.class] == nil {
			byStatus[h.class] = map[int]int{}
		}
		switch {
		case err != nil:
			fiveXX = append(fiveXX, fmt.Sprintf("%s: %v", h.class, err))
		case code >= 500:
			fiveXX = append(fiveXX, fmt.Sprintf("%s: %d", h.class, code))
		case h.class == "click: guessed numeric id" && code != http.StatusNotFound && code != http.StatusTooManyRequests:
			fiveXX = append(fiveXX, fmt.Sprintf("%s: %d, want 404", h.class, code))
		default:
			byStatus[h.class][code]++
		}
		mu.Unlock()
		if subproc.Sleep(ctx, 20*time.Millisecond) != nil {
			break
		}
	}
	stopFlood()
	flood.wait()
	plans, loadErr := ld.stop()
	e.step("load stopped: %d transactions, %d postbacks accepted, %d hostile requests", len(plans), e.send.accepted.Load(), sent.Load())
	r := e.verify(ctx, plans, drainTimeout(0), c.Quiet)
	finish(&r, e, s, plans, loadErr)
	for _, f := range fiveXX[:min(len(fiveXX), 5)] {
		r.problem("hostile request answered 5xx, not at all, or not as it must: %s", f)
	}
	checkFlood(ctx, &r, target, flood)
	for deadline := time.Now().Add(time.Minute); ; {
		unapplied, failed, err := unappliedOf(ctx, target)
		if err != nil {
			r.problem("read the hostile account's log: %v", err)
			break
		}
		if unapplied == 0 && failed == 0 {
			break
		}
		if time.Now().After(deadline) || subproc.Sleep(ctx, 2*time.Second) != nil {
			r.problem("hostile account: %d accepted postbacks not applied, %d failed", unapplied, failed)
			break
		}
	}
	var classes []string
	for class, codes := range byStatus {
		var parts []string
		for code, n := range codes {
			parts = append(parts, fmt.Sprintf("%d×%d", code, n))
		}
		slices.Sort(parts)
		classes = append(classes, class+" "+strings.Join(parts, ","))
	}
	slices.Sort(classes)
	r.Notes = append(r.Notes, fmt.Sprintf("%d hostile requests, no 5xx: %v", sent.Load(), len(fiveXX) == 0))
	r.Notes = append(r.Notes, classes...)
	r.Took = time.Since(start)
	return r
}

func sendHostile(ctx context.Context, client *http.Client, base string, vars *strings.Replacer, h hostileRequest, n int) (int, error) {
	num := fmt.Sprint(n)
	target := base + vars.Replace(h.path) + "?" + strings.ReplaceAll(h.query, "{n}", num)
	u, err := url.Parse(target)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, h.method, u.String(), strings.NewReader(strings.ReplaceAll(h.body, "{n}", num)))
	if err != nil {
		return 0, err
	}
	if h.ctype != "" {
		req.Header.Set("Content-Type", h.ctype)
	}
	return statusOf(client, req)
}

// statusOf sends req and answers its status code, the body read and closed.
func statusOf(client *http.Client, req *http.Request) (int, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// unappliedOf counts an account's accepted postbacks not applied yet and its
// failed ones.
func unappliedOf(ctx context.Context, a *account) (unapplied, failed int, err error) {
	for _, outcome := range []string{"accepted", "failed"} {
		cursor := ""
		for {
			var page struct {
				Postbacks []struct {
					ProcessedAt *time.Time `json:"processed_at"`
				} `json:"postbacks"`
				Next *string `json:"next_cursor"`
			}
			if err := a.admin(ctx, "GET", "/postbacks?outcome="+outcome+"&limit=500"+cursor, nil, http.StatusOK, &page); err != nil {
				return 0, 0, err
			}
			for _, p := range page.Postbacks {
				switch {
				case outcome == "failed":
					failed++
				case p.ProcessedAt == nil:
					unapplied++
				}
			}
			if page.Next == nil {
				break
			}
			cursor = "&cursor=" + *page.Next
		}
	}
	return unapplied, failed, nil
}
