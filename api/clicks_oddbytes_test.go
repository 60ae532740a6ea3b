package api_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Odd bytes in any click parameter (NUL, a byte that is not UTF-8, a character
// cut in half) still send the visitor on to the offer, and the click keeps them
// escaped (visible, storable), never a 5xx.
func TestClickWithOddBytesRedirectsAndStoresThemEscaped(t *testing.T) {
	h := newHarness(t)
	camp := h.createCampaign(`{"name":"odd","offer_url":"https://offer.example/land?c={click_id}&s={sub1}"}`)
	odd := map[string]string{"NUL": "%00", "not UTF-8": "%FF", "cut character": "a%C3"}
	for name, raw := range odd {
		query := "sub1=x" + raw + "y&sub10=" + raw + "&p=" + raw + "&external_id=" + raw + "&fbclid=" + raw +
			"&gclid=" + raw + "&ttclid=" + raw + "&fbp=" + raw + "&fbc=" + raw
		resp := h.hit(camp, query, "User-Agent", "ua"+string([]byte{0xff}), "Referer", "https://r.example/"+raw)
		loc := h.redirect(resp) // fails the test unless 302
		clickID := loc.Query().Get("c")
		if clickID == "" {
			t.Fatalf("%s: redirect %s carries no click id", name, loc)
		}
		k, err := h.st.GetClick(context.Background(), h.account.ID, clickID)
		if err != nil {
			t.Fatalf("%s: click not stored: %v", name, err)
		}
		plain, _ := url.QueryUnescape(raw)
		for field, v := range map[string]string{"sub1": k.Subs["sub1"], "sub10": k.Subs["sub10"], "p": k.PageID,
			"external_id": k.ExternalID, "fbclid": k.FBCLID, "gclid": k.GCLID, "ttclid": k.TTCLID, "fbp": k.FBP, "user_agent": k.UserAgent} {
			if strings.Contains(v, plain) && plain != "a" {
				t.Errorf("%s: %s stored %q with the raw bytes", name, field, v)
			}
			if !strings.Contains(v, `\x`) {
				t.Errorf("%s: %s stored %q, want the odd byte escaped as \\xNN", name, field, v)
			}
		}
	}
}

// A click's sub1 that a spreadsheet would run as a formula reaches both report
// CSVs (the API's and the console's, one writer) as text, and the two are the
// same file.
func TestReportCSVsAreOneWriterAndEscapeFormulas(t *testing.T) {
	h := newHarness(t)
	camp := h.createCampaign(`{"name":"csv","offer_url":"https://offer.example/?c={click_id}"}`)
	h.redirect(h.hit(camp, "sub1="+url.QueryEscape(`=HYPERLINK("https://evil.example","x")`)))
	h.redirect(h.hit(camp, "sub1=plain"))

	apiCSV := h.download("/v1/accounts/"+h.account.ID+"/reports?format=csv&group_by=sub1", "Authorization", "Bearer "+h.key)
	cc := newConsoleClient(t, h)
	cc.post("/console/login", url.Values{"key": {h.key}})
	code, consoleCSV, hdr := cc.get("/console/reports.csv?group_by=sub1")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("console CSV: %d %s", code, hdr.Get("Content-Type"))
	}
	if !strings.Contains(apiCSV, `"'=HYPERLINK(""https://evil.example"",""x"")"`) {
		t.Fatalf("API report CSV does not escape the formula:\n%s", apiCSV)
	}
	if consoleCSV != apiCSV {
		t.Fatalf("the two report CSVs differ:\nAPI:\n%s\nconsole:\n%s", apiCSV, consoleCSV)
	}
	if header := strings.SplitN(apiCSV, "\n", 2)[0]; header != "sub1,clicks,pending,approved,rejected,conversions,unconverted,revenue,currency,conversion_rate,epc,cost,profit,roi,cpa" {
		t.Fatalf("report CSV header %q", header)
	}
}

// download GETs path and returns the body, failing unless 200.
func (h *harness) download(path string, header ...string) string {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}
