package rates

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A trimmed copy of the ECB's published format (two days, as in the history files).
const sample = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
	<Cube>
		<Cube time='2026-03-10'>
			<Cube currency='USD' rate='1.0850'/>
			<Cube currency='GBP' rate='0.84125'/>
		</Cube>
		<Cube time='2026-03-09'>
			<Cube currency='USD' rate='1.0800'/>
		</Cube>
	</Cube>
</gesmes:Envelope>`

func TestParse(t *testing.T) {
	days, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || days[0].Date.Format("2006-01-02") != "2026-03-10" || days[0].Base != "EUR" ||
		days[0].Rates["GBP"].String() != "0.84125" || days[0].Rates["USD"].String() != "1.085" || len(days[1].Rates) != 1 {
		t.Fatalf("parsed %+v", days)
	}
	for _, bad := range []string{
		`<x/>`,
		strings.Replace(sample, `rate='1.0850'`, `rate='abc'`, 1),
		strings.Replace(sample, `rate='1.0850'`, `rate='-1'`, 1),
		strings.Replace(sample, `time='2026-03-10'`, `time='yesterday'`, 1),
	} {
		if _, err := Parse(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestFetch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/eurofxref-daily.xml" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(sample))
	}))
	defer srv.Close()
	days, err := Fetch(context.Background(), srv.Client(), srv.URL+"/eurofxref-daily.xml")
	if err != nil || len(days) != 2 {
		t.Fatalf("fetch: %v %v", days, err)
	}
	if _, err := Fetch(context.Background(), srv.Client(), srv.URL+"/missing"); err == nil {
		t.Error("a 404 was taken as rates")
	}
}
