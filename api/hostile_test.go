package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/workflows"
)

// apply runs an accepted postback through the workflow's steps (load and
// attribute, the state machine, record) exactly as ConversionWorkflow does, and
// fails the test if any step fails: accepted must mean applicable.
func (h *harness) apply(t testing.TB, postbackID int64) conv.RecordResult {
	t.Helper()
	ctx := context.Background()
	e, err := h.st.GetLog(ctx, h.account.ID, postbackID)
	if err != nil {
		t.Fatalf("postback %d: %v", postbackID, err)
	}
	act := &activities.Activities{Store: h.st, Sender: &destinations.Sender{}, Logger: slog.New(slog.DiscardHandler)}
	txKey := workflows.TxKeyFromWorkflowID(e.AccountID, e.WorkflowID)
	prep, err := act.Prepare(ctx, activities.PrepareInput{AccountID: e.AccountID, TxKey: txKey, LoadState: true, PostbackID: e.ID, ReceivedAt: e.ReceivedAt})
	if err != nil {
		t.Fatalf("prepare postback %d (%s): %v", postbackID, e.RawQuery, err)
	}
	d := workflows.Decide(*prep.State, workflows.Incoming{Status: conv.Status(prep.Facts.Status), Value: prep.Facts.Value, DefaultPayout: prep.Attribution.DefaultPayout})
	res, err := act.Record(ctx, activities.RecordInput{PostbackID: e.ID, AccountID: e.AccountID, TxKey: txKey, Integration: e.Integration,
		ReceivedAt: e.ReceivedAt, Facts: prep.Facts, Attribution: prep.Attribution, Decision: d, Prev: *prep.State})
	if err != nil {
		t.Fatalf("record postback %d (%s): %v", postbackID, e.RawQuery, err)
	}
	return res
}

// pbURL is the account's FunnelFlux-style intake with a query and its token.
func (h *harness) pbURL(query string) string {
	if query != "" {
		query += "&"
	}
	return "/" + h.account.ID + "/pb?" + query + "token=" + h.token("pb")
}

// Each input class the issue lists is refused at the door with the field named, or
// accepted and then applied: never a 5xx, never a 200 that cannot be recorded.
func TestHostileInputsAreRefusedOrApplied(t *testing.T) {
	h := newHarness(t)
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		field                           string
	}{
		{"largest commission", "GET", h.pbURL("hit=h1&tx=BIG&commission=999999999999999&status=approved"), "", "", 200, ""},
		{"commission past the range", "GET", h.pbURL("hit=h1&tx=BIG2&commission=1000000000000000"), "", "", 422, "value"},
		{"3000-character click id", "GET", h.pbURL("hit=" + strings.Repeat("c", 3000)), "", "", 422, "click_id"},
		{"long transaction id", "GET", h.pbURL("hit=h1&tx=" + strings.Repeat("t", 300)), "", "", 422, "transaction_id"},
		{"long event name", "GET", h.pbURL("hit=h1&event_name=" + strings.Repeat("e", 300)), "", "", 422, "event_name"},
		{"long passthrough", "GET", h.pbURL("hit=h1&xat_a=" + strings.Repeat("p", 3000)), "", "", 422, "xat_a"},
		{"20,000 parameters", "GET", h.pbURL("hit=h1" + strings.Repeat("&x=1", 20000)), "", "", 413, ""},
		{"future timestamp", "GET", h.pbURL("hit=h1&timestamp=" + future), "", "", 422, "timestamp"},
		{"ancient timestamp", "GET", h.pbURL("hit=h1&timestamp=1970-01-02"), "", "", 422, "timestamp"},
		{"invalid UTF-8 in the query", "GET", h.pbURL("hit=h%FF%FE1&tx=U1&sub1=%C3"), "", "", 200, ""},
		{"NUL in the query", "GET", h.pbURL("hit=h%001&tx=N1"), "", "", 200, ""},
		{"NUL and bad UTF-8 in JSON", "POST", h.pbURL(""), "application/json", "{\"hit\":\"h\\u00002\",\"tx\":\"J1\",\"x\":\"\xff\"}", 200, ""},
		{"bad UTF-8 in a form", "POST", h.pbURL(""), "application/x-www-form-urlencoded", "hit=h3\xff&tx=F1", 200, ""},
		{"account not UTF-8", "GET", "/%FF/collect/pb?hit=h1", "", "", 404, ""},
		{"integration not UTF-8", "GET", "/" + h.account.ID + "/collect/%FF?hit=h1", "", "", 404, ""},
		{"NUL in the account", "GET", "/a%00b/pb?hit=h1", "", "", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := h.do(tc.method, tc.path, tc.ctype, tc.body)
			if code != tc.status {
				t.Fatalf("answer %d %v, want %d", code, body, tc.status)
			}
			if tc.field != "" && body["field"] != tc.field {
				t.Fatalf("answer %v does not name field %q", body, tc.field)
			}
			if code == http.StatusOK {
				id := int64(body["postback_id"].(float64))
				res := h.apply(t, id)
				if res.State.ConversionID == 0 {
					t.Fatalf("postback %d applied without a conversion: %+v", id, res)
				}
			}
		})
	}
	// The refusals never labelled a metric with a name from the URL.
	if n := countMetricLabel(t, h, "integration", "\uFFFD"); n != 0 {
		t.Fatalf("a metric is labelled with the URL's bytes")
	}
}

func countMetricLabel(t *testing.T, h *harness, label, value string) int {
	t.Helper()
	families, err := h.metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && strings.Contains(l.GetValue(), value) {
					n++
				}
			}
		}
	}
	return n
}

// A postback that failed for good is shown failed and can be re-driven once.
func TestFailedPostbackRedriveEndpoint(t *testing.T) {
	h := newHarness(t)
	code, body := h.do("GET", h.pbURL("hit=h1&tx=R1&commission=5"), "", "")
	if code != http.StatusOK {
		t.Fatalf("postback answered %d %v", code, body)
	}
	id := int64(body["postback_id"].(float64))
	retry := fmt.Sprintf("/v1/accounts/%s/postbacks/%d/retry", h.account.ID, id)
	if code, _ := h.do("POST", retry, "", "", "Authorization", "Bearer "+h.key); code != http.StatusConflict {
		t.Fatalf("re-drive of an accepted postback answered %d, want 409", code)
	}
	if err := h.st.MarkFailed(context.Background(), id, store.FailedInvalidData, "refused by the database"); err != nil {
		t.Fatal(err)
	}
	code, list := h.do("GET", "/v1/accounts/"+h.account.ID+"/postbacks?outcome=failed", "", "", "Authorization", "Bearer "+h.key)
	rows, _ := list["postbacks"].([]any)
	if code != http.StatusOK || len(rows) != 1 || rows[0].(map[string]any)["failed_reason"] != store.FailedInvalidData {
		t.Fatalf("failed list = %d %v", code, list)
	}
	pokes := h.pokes.n.Load()
	code, body = h.do("POST", retry, "", "", "Authorization", "Bearer "+h.key)
	if code != http.StatusAccepted || h.pokes.n.Load() != pokes+1 {
		t.Fatalf("re-drive answered %d %v (pokes %d -> %d)", code, body, pokes, h.pokes.n.Load())
	}
	h.apply(t, id)
	e, _ := h.st.GetLog(context.Background(), h.account.ID, id)
	if e.Outcome != "accepted" || e.ProcessedAt == nil {
		t.Fatalf("after re-drive and apply: %+v", e)
	}
}

// FuzzIntake drives random requests through the real intake handler into the real
// database: no panic, every answer 2xx or 4xx, every 2xx applied.
func FuzzIntake(f *testing.F) {
	f.Add("GET", "pb", "hit=h1&tx=T1&rev=2.5&status=approved", "", "")
	f.Add("POST", "pb", "", "application/json", `{"hit":"h1","tx":"T2","rev":"1e3","items":[{"id":"a","price":"1"}]}`)
	f.Add("POST", "collect/pb", "tx=T3", "application/x-www-form-urlencoded", "hit=x%FF&commission=999999999999999")
	f.Add("GET", "collect/%FF", "hit=a", "", "")
	f.Add("POST", "pb", "hit=h&timestamp=2999-01-01", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\x00\r\n--x--")
	h := newHarnessTB(f)
	token := h.token("pb")
	client := &http.Client{Timeout: 10 * time.Second}
	f.Fuzz(func(t *testing.T, method, path, query, ctype, body string) {
		if method != "POST" {
			method = "GET"
		}
		req, err := http.NewRequest(method, h.srv.URL+"/"+h.account.ID+"/pb", strings.NewReader(body))
		if err != nil {
			return
		}
		if strings.HasPrefix(path, "collect/") {
			req.URL.Path = "/" + h.account.ID + "/" + path
		}
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("X-Convrelay-Token", token)
		resp, err := client.Do(req)
		if err != nil {
			return // the client refused to send it (bad URL or header)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s?%q (%q, %q) answered %d %s", method, path, query, ctype, body, resp.StatusCode, raw)
		}
		if resp.StatusCode == http.StatusOK {
			var ok struct {
				PostbackID int64 `json:"postback_id"`
			}
			if err := json.Unmarshal(raw, &ok); err != nil || ok.PostbackID == 0 {
				t.Fatalf("200 without a postback id: %s", raw)
			}
			h.apply(t, ok.PostbackID)
		}
	})
}
