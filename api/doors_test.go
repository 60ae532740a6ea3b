package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/convrelay/convrelay/internal/postback"
)

// doorDecision is what one door made of a postback: accepted or refused with
// which status and message, and the workflow id (the keyed transaction key).
type doorDecision struct {
	Accepted   bool
	Status     int
	Error      string
	WorkflowID string
}

// The same postback through the live intake, the dry-run test endpoint and a
// CSV import row gets the same decision and the same transaction key, whatever
// the door: one pipeline (internal/intake) decides for all three.
func TestEveryDoorDecidesAlike(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("x", 300)
	cases := map[string]url.Values{
		"email only":          {"email": {"Jane.Doe@example.com"}, "commission": {"5"}},
		"oversized click id":  {"click_id": {long}, "commission": {"1"}},
		"oversized tx id":     {"click_id": {"c1"}, "transaction_id": {long}, "commission": {"1"}},
		"NUL in click id":     {"click_id": {"a\x00b"}, "transaction_id": {"nul-1"}, "commission": {"1"}},
		"invalid UTF-8 value": {"click_id": {"a\xffb"}, "transaction_id": {"bad-utf8"}, "commission": {"1"}},
		"negative value":      {"click_id": {"c2"}, "transaction_id": {"neg-1"}, "commission": {"-3"}},
		"no identifier":       {"commission": {"4"}},
		"future timestamp":    {"click_id": {"c3"}, "transaction_id": {"future-1"}, "timestamp": {"2999-01-01"}},
		"unknown currency":    {"click_id": {"c4"}, "transaction_id": {"cur-1"}, "commission": {"2"}, "currency": {"DOLLARS"}},
	}
	presets := postback.Presets()
	n := 0
	for _, p := range presets {
		// Every preset reads the same plain parameters its own way.
		cases["preset "+p.Name] = url.Values{"click_id": {"pc-" + p.Name}, "transaction_id": {"T-" + p.Name},
			"commission": {"2.5"}, "status": {"approved"}, "preset": {p.Name}}
	}
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		vals := cases[name]
		preset := "custom"
		if p := vals.Get("preset"); p != "" {
			preset = p
			vals = cloneValues(vals)
			vals.Del("preset")
		}
		n++
		slug := "door" + strconv.Itoa(n)
		h.integration(slug, preset, "")
		live := h.liveDecision(slug, vals)
		dry := h.dryRunDecision(slug, vals)
		imp := h.importDecision(preset, vals)
		// An import row shows no HTTP status: its decision and message must match.
		if sameRow := (doorDecision{live.Accepted, 0, live.Error, live.WorkflowID}); live != dry || sameRow != imp {
			t.Errorf("%s: the doors disagree\n live    %+v\n dry run %+v\n import  %+v", name, live, dry, imp)
		}
		if name == "email only" {
			if !live.Accepted || strings.Contains(strings.ToLower(live.WorkflowID), "jane") {
				t.Errorf("email-only postback: %+v; the workflow id must be accepted and hold a keyed hash, never the address", live)
			}
		}
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func (h *harness) liveDecision(slug string, vals url.Values) doorDecision {
	h.t.Helper()
	code, out := h.do("GET", "/"+h.account.ID+"/collect/"+slug+"?"+vals.Encode(), "", "")
	d := doorDecision{Accepted: code == http.StatusOK, Status: code}
	d.Error, _ = out["error"].(string)
	d.WorkflowID, _ = out["workflow_id"].(string)
	return d
}

func (h *harness) dryRunDecision(slug string, vals url.Values) doorDecision {
	h.t.Helper()
	body, _ := json.Marshal(map[string]string{"integration": slug, "query": vals.Encode()})
	code, out := h.admin("POST", "/postbacks/test", string(body))
	if code != http.StatusOK {
		h.t.Fatalf("test endpoint answered %d %v", code, out)
	}
	d := doorDecision{Accepted: out["decision"] == "accepted"}
	st, _ := out["http_status"].(float64)
	d.Status = int(st)
	d.Error, _ = out["error"].(string)
	d.WorkflowID, _ = out["workflow_id"].(string)
	return d
}

// importDecision imports one row whose columns are vals' names (sorted) and
// reads the log row it wrote, if any.
func (h *harness) importDecision(preset string, vals url.Values) doorDecision {
	h.t.Helper()
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	row := make([]string, len(names))
	for i, k := range names {
		row[i] = vals.Get(k)
	}
	_ = w.Write(names)
	_ = w.Write(row)
	w.Flush()
	out := postImport(h.t.(*testing.T), h, "text/csv", &buf, "?preset="+url.QueryEscape(preset))
	res := out["rows"].([]any)[0].(map[string]any)
	d := doorDecision{Accepted: res["status"] == "accepted"}
	if !d.Accepted {
		d.Error, _ = res["error"].(string)
		return d
	}
	id := int64(res["postback_id"].(float64))
	e, err := h.st.GetLog(context.Background(), h.account.ID, id)
	if err != nil {
		h.t.Fatal(err)
	}
	d.WorkflowID = e.WorkflowID
	return d
}
