package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/convrelay/convrelay/internal/subproc"
)

// account is one drill's account, reached through the admin API.
type account struct {
	ID, Key string
	base    string
	client  *http.Client
}

// newAccount creates an account with `convrelay create-account`, as an operator would.
func (s *Stack) newAccount(ctx context.Context, name string) (*account, error) {
	out, err := s.run(ctx, "create-account", name)
	if err != nil {
		return nil, fmt.Errorf("convrelay create-account: %w\n%s", err, out)
	}
	a := &account{base: s.APIBase, client: &http.Client{Timeout: 60 * time.Second}}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "account_id="); ok {
			a.ID = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "admin_key="); ok {
			a.Key = strings.TrimSpace(v)
		}
	}
	if a.ID == "" || a.Key == "" {
		return nil, fmt.Errorf("convrelay create-account printed no account_id/admin_key: %q", out)
	}
	return a, nil
}

// admin calls /v1/accounts/{id}{path}, retrying network errors and 5xx answers
// for up to a minute (the stack may be recovering from a fault), and decodes the
// JSON answer into out. Any other status than want is an error.
func (a *account) admin(ctx context.Context, method, path string, body any, want int, out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		code, answer, err := a.once(ctx, method, path, raw)
		switch {
		case err == nil && code == want:
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(answer, out); err != nil {
				return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
			}
			return nil
		case err == nil && code < 500:
			return fmt.Errorf("%s %s answered %d: %s", method, path, code, bytes.TrimSpace(answer))
		case time.Now().After(deadline):
			if err == nil {
				err = fmt.Errorf("answered %d: %s", code, bytes.TrimSpace(answer))
			}
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		if err := subproc.Sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
}

func (a *account) once(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.base+"/v1/accounts/"+a.ID+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.Key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return resp.StatusCode, answer, err
}
