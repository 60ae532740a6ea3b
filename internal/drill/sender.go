package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convrelay/convrelay/internal/subproc"
)

// sender fires postbacks at the intake the way a network does: a postback not
// answered 200 "accepted" (connection refused, 5xx) is sent again until it is.
// Only accepted postbacks count as sent.
type sender struct {
	url      string
	client   *http.Client
	accepted atomic.Int64
	retried  atomic.Int64 // attempts answered 5xx or not answered
	codes    sync.Map     // status code -> *atomic.Int64, for attempts not accepted
}

func newSender(collectURL string) *sender {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 512, 512
	// A generous timeout: a postback abandoned while the server still works on it
	// could land after the next status of its transaction.
	return &sender{url: collectURL, client: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}
}

func (s *sender) query(p txPlan, st step) string {
	q := url.Values{}
	q.Set("click_id", p.Click)
	q.Set("transaction_id", p.ID)
	q.Set("commission", st.Value)
	q.Set("status", st.Status)
	if st.Disable {
		q.Set("disable_postbacks", "1")
	}
	return s.url + "?" + q.Encode()
}

// post sends one postback until it is accepted; a 4xx answer other than 429 is a
// failure of the drill (the postback is valid) and is returned.
func (s *sender) post(ctx context.Context, p txPlan, st step) error {
	target := s.query(p, st)
	backoff := 100 * time.Millisecond
	for {
		code, body, err := s.once(ctx, target)
		if err == nil && code == http.StatusOK {
			var ans struct {
				Status string `json:"status"`
			}
			if json.Unmarshal(body, &ans) == nil && ans.Status == "accepted" {
				s.accepted.Add(1)
				return nil
			}
			return fmt.Errorf("postback %s %s answered 200 without accepted: %s", p.ID, st.Status, body)
		}
		// 429 is a rate limit: a network waits and sends again, as for a 5xx.
		if err == nil && code < 500 && code != http.StatusTooManyRequests {
			return fmt.Errorf("postback %s %s answered %d: %s", p.ID, st.Status, code, body)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("postback %s %s never accepted: %w", p.ID, st.Status, ctx.Err())
		}
		s.retried.Add(1)
		c, _ := s.codes.LoadOrStore(code, new(atomic.Int64))
		c.(*atomic.Int64).Add(1)
		if err := subproc.Sleep(ctx, backoff); err != nil {
			return fmt.Errorf("postback %s %s never accepted: %w", p.ID, st.Status, err)
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (s *sender) once(ctx context.Context, target string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, body, err
}

// runTx sends a transaction's waves: each wave's postbacks, Copies times each,
// all at once; the next wave (and gap) once the whole wave is accepted.
func (s *sender) runTx(ctx context.Context, p txPlan, gap time.Duration) error {
	for i, wave := range p.Waves {
		if i > 0 && gap > 0 {
			if err := subproc.Sleep(ctx, gap); err != nil {
				return err
			}
		}
		if len(wave) == 1 && p.Copies == 1 {
			if err := s.post(ctx, p, wave[0]); err != nil {
				return err
			}
			continue
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(wave)*p.Copies)
		for c := 0; c < p.Copies; c++ {
			for _, st := range wave {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := s.post(ctx, p, st); err != nil {
						errs <- err
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

// retries summarises the attempts that were not accepted, e.g. "503×120, no answer×4".
func (s *sender) retries() string {
	out := ""
	s.codes.Range(func(k, v any) bool {
		if out != "" {
			out += ", "
		}
		name := fmt.Sprint(k)
		if k.(int) == 0 {
			name = "no answer"
		}
		out += fmt.Sprintf("%s×%d", name, v.(*atomic.Int64).Load())
		return true
	})
	return out
}
