package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

const importCSV = "Order,Click,Payout,Cur,State,Date\n" +
	"A1,clk1,10.50,EUR,approved,2026-03-10 12:00:00\n" + // good
	"A2,clk2,5,GBP,pending,1773144000\n" + // good
	"A3,,7,USD,approved,2026-03-10\n" + // bad: no click id, ref id or email
	"A4,clk4,3,DOLLARS,approved,2026-03-10\n" + // bad: not a currency
	"A1,clk1,10.50,EUR,approved,2026-03-10 12:00:00\n" + // duplicate of row 1
	"A5,clk5\n" // bad: short row

const importMapping = `{"transaction_id":"Order","click_id":"Click","value":"Payout","currency":"Cur","status":"State","timestamp":"Date"}`

func postImport(t *testing.T, h *harness, contentType string, body io.Reader, query string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+"/v1/accounts/"+h.account.ID+"/imports"+query, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+h.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("import: %d %s", resp.StatusCode, raw)
	}
	return out
}

func statuses(out map[string]any) map[float64]string {
	m := map[float64]string{}
	for _, r := range out["rows"].([]any) {
		row := r.(map[string]any)
		m[row["row"].(float64)] = row["status"].(string)
	}
	return m
}

// TestImportTwice: good rows become accepted postbacks of integration "import"
// for the dispatcher; bad rows are rejected with a reason; a repeated row and the
// whole file uploaded again change nothing.
func TestImportTwice(t *testing.T) {
	h := newHarness(t)
	out := postImport(t, h, "text/csv", bytes.NewBufferString(importCSV), "?mapping="+url.QueryEscape(importMapping))
	want := map[float64]string{1: "accepted", 2: "accepted", 3: "rejected", 4: "rejected", 5: "duplicate", 6: "rejected"}
	if got := statuses(out); len(got) != len(want) || out["accepted"] != 2.0 || out["duplicates"] != 1.0 || out["rejected"] != 3.0 || out["complete"] != true {
		t.Fatalf("first import: %v", out)
	} else {
		for row, st := range want {
			if got[row] != st {
				t.Errorf("row %v = %s, want %s (%v)", row, got[row], st, out["rows"])
			}
		}
	}
	for _, r := range out["rows"].([]any) {
		if row := r.(map[string]any); row["status"] == "rejected" && row["error"] == "" {
			t.Errorf("rejected without a reason: %v", row)
		}
	}
	if h.pokes.n.Load() == 0 {
		t.Error("the dispatcher was not told about the imported postbacks")
	}
	log := h.log()
	if len(log) != 2 {
		t.Fatalf("log has %d rows after the first import, want 2", len(log))
	}
	for _, e := range log {
		if e.Integration != "import" || e.Outcome != "accepted" || e.WorkflowID == "" || len(e.Canonical) == 0 {
			t.Errorf("log row %+v", e)
		}
	}
	var pb struct {
		Currency string `json:"currency"`
		Value    string `json:"value"`
		Status   string `json:"status"`
	}
	for _, e := range log {
		if e.TransactionID == "A1" {
			_ = json.Unmarshal(e.Canonical, &pb)
		}
	}
	if pb.Currency != "EUR" || pb.Value != "10.5" || pb.Status != "approved" {
		t.Errorf("A1 parsed as %+v", pb)
	}

	// The same file again, as multipart this time: nothing new.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("mapping", importMapping)
	fw, _ := mw.CreateFormFile("file", "conversions.csv")
	_, _ = fw.Write([]byte(importCSV))
	_ = mw.Close()
	out = postImport(t, h, mw.FormDataContentType(), &buf, "")
	if out["accepted"] != 0.0 || out["duplicates"] != 3.0 || out["rejected"] != 3.0 {
		t.Fatalf("second import: %v", out)
	}
	if n := len(h.log()); n != 2 {
		t.Fatalf("log has %d rows after the second import, want 2", n)
	}
}

func TestImportRefusals(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		ct, body, query string
		code            int
	}{
		{"application/json", "{}", "", http.StatusUnsupportedMediaType},
		{"text/csv", "", "", http.StatusBadRequest},
		{"text/csv", importCSV, "?mapping=" + url.QueryEscape(`{"click_id":"Nope"}`), http.StatusUnprocessableEntity},
		{"text/csv", importCSV, "?mapping=notjson", http.StatusBadRequest},
		{"text/csv", importCSV, "?preset=nosuch", http.StatusUnprocessableEntity},
	} {
		if code, out := h.do("POST", "/v1/accounts/"+h.account.ID+"/imports"+c.query, c.ct, c.body, "Authorization", "Bearer "+h.key); code != c.code {
			t.Errorf("%s %q %s: %d %v, want %d", c.ct, c.body, c.query, code, out, c.code)
		}
	}
	if n := len(h.log()); n != 0 {
		t.Errorf("refused imports left %d log rows", n)
	}
}

// TestImportStreamed: a file still arriving while the first results are written
// (a pipe, sent chunked) is read to its end, and the import's answer counts
// every row.
func TestImportStreamed(t *testing.T) {
	h := newHarness(t)
	const n = 3000
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, "transaction_id,click_id,commission,currency\n")
		for i := 0; i < n; i++ {
			_, _ = io.WriteString(pw, "S"+strconv.Itoa(i)+",c"+strconv.Itoa(i)+",1.5,USD\n")
		}
		_ = pw.Close()
	}()
	out := postImport(t, h, "text/csv", pr, "") // no mapping: the header names the parameters
	if out["accepted"] != float64(n) || out["complete"] != true {
		t.Fatalf("streamed import: accepted %v complete %v error %v", out["accepted"], out["complete"], out["error"])
	}
}
