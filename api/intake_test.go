package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/convrelay/convrelay/internal/postback"
)

func TestSameConversionAsQueryFormAndJSON(t *testing.T) {
	h := newHarness(t)
	h.integration("net", "custom", "")
	path := "/" + h.account.ID + "/collect/net"
	query := "click_id=abc123&transaction_id=10492A&commission=4.99&currency=USD&event_name=CompleteRegistration"
	codes := []int{}
	c1, _ := h.do("GET", path+"?"+query, "", "")
	c2, _ := h.do("POST", path, "application/x-www-form-urlencoded", query)
	c3, _ := h.do("POST", path, "application/json",
		`{"click_id":"abc123","transaction_id":"10492A","commission":4.99,"currency":"USD","event_name":"CompleteRegistration"}`)
	codes = append(codes, c1, c2, c3)
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("request %d answered %d", i, c)
		}
	}
	rows := h.log()
	if len(rows) != 3 {
		t.Fatalf("log rows = %d, want 3", len(rows))
	}
	var first postback.Postback
	for i, r := range rows {
		var p postback.Postback
		if err := json.Unmarshal(r.Canonical, &p); err != nil {
			t.Fatal(err)
		}
		p.Params = nil
		if i == 0 {
			first = p
			continue
		}
		a, _ := json.Marshal(first)
		b, _ := json.Marshal(p)
		if string(a) != string(b) {
			t.Fatalf("canonical differs:\n%s\n%s", a, b)
		}
		if r.WorkflowID != rows[0].WorkflowID || r.WorkflowID != "conv/"+h.account.ID+"/10492A" {
			t.Fatalf("workflow ids %q vs %q", r.WorkflowID, rows[0].WorkflowID)
		}
	}
	if first.Value == nil || first.Value.String() != "4.99" || first.EventName != "CompleteRegistration" {
		t.Fatalf("canonical = %+v", first)
	}
	if h.pokes.n.Load() != 3 {
		t.Fatalf("dispatcher poked %d times, want 3", h.pokes.n.Load())
	}
}

func TestIntakeAnswersEveryProblemClearly(t *testing.T) {
	h := newHarness(t)
	h.integration("net", "custom", `,"token":"s3cret"`)
	h.integration("locked", "custom", `,"allowed_cidrs":["203.0.113.0/24"]`)
	base := "/" + h.account.ID + "/collect/"
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		errText                         string
	}{
		{"unknown account", "GET", "/nope/collect/net?click_id=a", "", "", 404, "unknown account"},
		{"unknown integration", "GET", base + "other?click_id=a", "", "", 404, `unknown integration "other"`},
		{"missing token", "GET", base + "net?click_id=a", "", "", 403, "invalid or missing token"},
		{"wrong token", "GET", base + "net?click_id=a&token=no", "", "", 403, "invalid or missing token"},
		{"address not allowed", "GET", base + "locked?click_id=a", "", "", 403, "is not allowed"},
		{"no identity", "GET", base + "net?token=s3cret&commission=1", "", "", 422, "Missing click_id, ref_id and email"},
		{"unknown conversion_type", "GET", base + "net?token=s3cret&click_id=a&conversion_type=weird", "", "", 422, "Unknown conversion_type"},
		{"malformed JSON", "POST", base + "net?token=s3cret", "application/json", `{"click_id": "a",`, 400, "malformed JSON body at offset"},
		{"too large", "POST", base + "net?token=s3cret", "application/json", `{"click_id":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "body larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := h.do(tc.method, tc.path, tc.ctype, tc.body)
			msg, _ := body["error"].(string)
			if code != tc.status || !strings.Contains(msg, tc.errText) || body["status"] != "rejected" {
				t.Fatalf("answer %d %v, want %d rejected with %q", code, body, tc.status, tc.errText)
			}
		})
	}
	// Every refused request (with a known account) is in the log with its error.
	rejected := 0
	for _, r := range h.log() {
		if r.Outcome == "rejected" && r.Error != "" {
			rejected++
		}
	}
	if rejected != len(cases)-1 {
		t.Fatalf("rejected log rows = %d, want %d", rejected, len(cases)-1)
	}
	code, _ := h.do("GET", base+"net?token=s3cret&click_id=a", "", "")
	if code != http.StatusOK {
		t.Fatalf("right token answered %d", code)
	}
	if code, _ := h.do("GET", base+"net?click_id=a", "", "", "X-Convrelay-Token", "s3cret"); code != http.StatusOK {
		t.Fatalf("token header answered %d", code)
	}
}

func TestGlobalPBBelongsToDefaultAccountWithoutClick(t *testing.T) {
	h := newHarness(t)
	code, body := h.do("GET", "/pb?hit=unknown-hit&tx=T9&rev=2.50&status=pending&token="+h.token("pb"), "", "")
	if code != http.StatusOK || body["workflow_id"] != "conv/"+h.account.ID+"/T9" || body["conversion"] != "pending" {
		t.Fatalf("answer %d %v", code, body)
	}
}
