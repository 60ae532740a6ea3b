package api_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/store"
)

const (
	uaIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
	uaWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)

// recordConv records one conversion of the given click in a currency.
func recordConv(t *testing.T, st *store.Store, account, tx string, click *store.Click, to conv.Status, value, currency string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	e := &store.LogEntry{AccountID: account, Integration: "network", Method: "GET", Path: "/pb", ReceivedAt: at,
		Canonical: []byte(`{}`), TransactionID: tx, WorkflowID: "conv/" + account + "/" + tx, Outcome: "accepted"}
	if err := st.InsertLog(ctx, e); err != nil {
		t.Fatal(err)
	}
	attr := conv.Attribution{Reason: "no click"}
	if click != nil {
		attr = conv.Attribution{Attributed: true, ClickID: click.ID, CampaignID: *click.CampaignID, TrafficSource: "fb"}
	}
	if _, err := st.Record(ctx, store.RecordParams{PostbackID: e.ID, AccountID: account, TxKey: tx, TransactionID: tx,
		Integration: "network", EventName: "Purchase", Currency: currency, ConvertedAt: at, Attribution: attr,
		Postback: []byte(`{"traits":{"country":"de"}}`),
		Decision: conv.Decision{Apply: true, From: conv.StatusNone, To: to, Value: decimal.RequireFromString(value)}}); err != nil {
		t.Fatal(err)
	}
}

func reportRows(t *testing.T, h *harness, account, key, query string) []map[string]any {
	t.Helper()
	code, out := h.do("GET", "/v1/accounts/"+account+"/reports?"+query, "", "", "Authorization", "Bearer "+key)
	if code != http.StatusOK {
		t.Fatalf("report ?%s: %d %v", query, code, out)
	}
	var rows []map[string]any
	for _, r := range out["rows"].([]any) {
		rows = append(rows, r.(map[string]any))
	}
	return rows
}

func dec(t *testing.T, v any) decimal.Decimal {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v is not a decimal string", v)
	}
	return decimal.RequireFromString(s)
}

// TestReportThreeCurrencies: EUR, GBP and USD conversions add up in the account's
// currency (USD) through EUR cross rates; one whose currency has no rate is
// counted as unconverted, never added; UA and country dimensions split clicks and
// conversions alike; the CSV export carries the same figures.
func TestReportThreeCurrencies(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	acct, key := h.otherAccount("UTC")
	if _, err := h.st.UpdateAccountSettings(ctx, acct.ID, store.AccountSettings{Currency: "USD", Timezone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.SaveRates(ctx, []store.DayRates{{Date: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), Base: "EUR",
		Rates: map[string]decimal.Decimal{"USD": decimal.RequireFromString("1.25"), "GBP": decimal.RequireFromString("0.8")}}}); err != nil {
		t.Fatal(err)
	}
	cp, err := h.st.CreateCampaign(ctx, store.Campaign{AccountID: acct.ID,
		CampaignSettings: store.CampaignSettings{Name: "c", OfferURL: "https://o.example/", TrafficSource: "fb"}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	click := func(ua, country string) *store.Click {
		k, err := h.st.InsertClick(ctx, store.Click{AccountID: acct.ID, CampaignID: &cp.ID, Country: country,
			Subs: map[string]string{"sub2": "adset-" + country}, CreatedAt: at.Add(-time.Hour),
			SourceClick: store.SourceClick{UserAgent: ua}})
		if err != nil {
			t.Fatal(err)
		}
		return &k
	}
	phone, pc := click(uaIPhone, "fr"), click(uaWindows, "US")
	click(uaWindows, "US")                                                         // a click that does not convert
	recordConv(t, h.st, acct.ID, "E", phone, conv.StatusApproved, "10", "EUR", at) // 12.50 USD
	recordConv(t, h.st, acct.ID, "G", pc, conv.StatusApproved, "8", "GBP", at)     // 8 / 0.8 * 1.25 = 12.50 USD
	recordConv(t, h.st, acct.ID, "U", pc, conv.StatusPending, "5", "USD", at)      // 5 USD
	recordConv(t, h.st, acct.ID, "J", nil, conv.StatusApproved, "1000", "JPY", at) // no JPY rate: unconverted
	recordConv(t, h.st, acct.ID, "R", pc, conv.StatusRejected, "99", "USD", at)    // rejected: no revenue

	rows := reportRows(t, h, acct.ID, key, "group_by=traffic_source&from=2026-03-10&to=2026-03-10")
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	fb, none := rows[1], rows[0] // "" sorts first
	if !dec(t, fb["revenue"]).Equal(decimal.RequireFromString("30")) || fb["unconverted"] != 0.0 || fb["clicks"] != 3.0 ||
		fb["conversions"] != 3.0 || fb["rejected"] != 1.0 || !dec(t, fb["epc"]).Equal(decimal.NewFromInt(10)) || !dec(t, fb["conversion_rate"]).Equal(decimal.NewFromInt(1)) {
		t.Errorf("fb row %v, want 30 USD from EUR+GBP+USD, 3 clicks, EPC 10", fb)
	}
	if !dec(t, none["revenue"]).IsZero() || none["unconverted"] != 1.0 || none["conversions"] != 1.0 {
		t.Errorf("unattributed row %v, want the JPY conversion unconverted and not added", none)
	}

	// Two dimensions at once, from the click's user agent and country.
	rows = reportRows(t, h, acct.ID, key, "group_by=device_type,country&from=2026-03-10&to=2026-03-10")
	want := map[string][2]string{"desktop / US": {"2", "17.5"}, "mobile / FR": {"1", "12.5"}, " / DE": {"0", "0"}}
	if len(rows) != len(want) {
		t.Fatalf("device/country rows %v", rows)
	}
	for _, r := range rows {
		w, ok := want[r["key"].(string)]
		if !ok || r["clicks"] != decimal.RequireFromString(w[0]).InexactFloat64() || !dec(t, r["revenue"]).Equal(decimal.RequireFromString(w[1])) {
			t.Errorf("row %v, want %v", r, w)
		}
	}
	// Filters: browser and sub2 narrow clicks and conversions; status has no clicks.
	rows = reportRows(t, h, acct.ID, key, "group_by=os&browser=Chrome&sub2=adset-US&from=2026-03-10&to=2026-03-10")
	if len(rows) != 1 || rows[0]["key"] != "Windows" || rows[0]["clicks"] != 2.0 || !dec(t, rows[0]["revenue"]).Equal(decimal.RequireFromString("17.5")) {
		t.Errorf("filtered rows %v", rows)
	}
	rows = reportRows(t, h, acct.ID, key, "group_by=status,integration&from=2026-03-10&to=2026-03-10")
	if len(rows) != 3 || rows[0]["clicks"] != 0.0 || rows[0]["epc"] != nil {
		t.Errorf("status rows %v, want 3 groups without clicks", rows)
	}
	for _, q := range []string{"group_by=color", "group_by=day,day", "planet=mars", "format=xml"} {
		if code, out := h.do("GET", "/v1/accounts/"+acct.ID+"/reports?"+q, "", "", "Authorization", "Bearer "+key); code != http.StatusBadRequest {
			t.Errorf("?%s: %d %v, want 400", q, code, out)
		}
	}

	// CSV: the report, and the conversions with their converted values.
	recs := getCSV(t, h, "/v1/accounts/"+acct.ID+"/reports?format=csv&group_by=traffic_source&from=2026-03-10&to=2026-03-10", key)
	if len(recs) != 3 || strings.Join(recs[0][:3], ",") != "traffic_source,clicks,pending" || recs[2][0] != "fb" || recs[2][7] != "30" || recs[2][8] != "USD" {
		t.Errorf("report csv %v", recs)
	}
	recs = getCSV(t, h, "/v1/accounts/"+acct.ID+"/conversions/export?from=2026-03-10&to=2026-03-10", key)
	if len(recs) != 6 {
		t.Fatalf("conversions csv has %d records, want header + 5", len(recs))
	}
	col := map[string]int{}
	for i, n := range recs[0] {
		col[n] = i
	}
	for _, r := range recs[1:] {
		if r[col["transaction_id"]] == "G" && (r[col["value"]] != "8" || r[col["currency"]] != "GBP" || r[col["value_account"]] != "12.5" ||
			r[col["rate"]] != "1.5625" || r[col["rate_date"]] != "2026-03-09" || r[col["device_type"]] != "desktop" || r[col["sub2"]] != "adset-US") {
			t.Errorf("GBP conversion csv row %v", r)
		}
		if r[col["transaction_id"]] == "J" && r[col["value_account"]] != "" {
			t.Errorf("JPY conversion csv row %v, want no value_account", r)
		}
	}
	recs = getCSV(t, h, "/v1/accounts/"+acct.ID+"/postbacks/export", key)
	if len(recs) != 6 || recs[0][0] != "id" || recs[1][2] != "network" {
		t.Errorf("postbacks csv %v", recs)
	}
}

func getCSV(t *testing.T, h *harness, path, key string) [][]string {
	t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestReportDayBoundaryNewYork: days are cut at midnight in the account's zone,
// across the daylight-saving change (2026-03-08 in New York: UTC-5, then UTC-4).
func TestReportDayBoundaryNewYork(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	acct, key := h.otherAccount("America/New_York")
	if _, err := h.st.UpdateAccountSettings(ctx, acct.ID, store.AccountSettings{Currency: "USD", Timezone: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	for tx, at := range map[string]string{
		"A": "2026-03-08T04:59:00Z", // 03-07 23:59 EST
		"B": "2026-03-08T05:00:00Z", // 03-08 00:00 EST
		"C": "2026-03-09T03:59:00Z", // 03-08 23:59 EDT
		"D": "2026-03-09T04:00:00Z", // 03-09 00:00 EDT
	} {
		v, _ := time.Parse(time.RFC3339, at)
		recordConv(t, h.st, acct.ID, tx, nil, conv.StatusApproved, "1", "USD", v)
	}
	rows := reportRows(t, h, acct.ID, key, "group_by=day&from=2026-03-07&to=2026-03-09")
	got := map[string]float64{}
	for _, r := range rows {
		got[r["key"].(string)] = r["approved"].(float64)
	}
	if len(got) != 3 || got["2026-03-07"] != 1 || got["2026-03-08"] != 2 || got["2026-03-09"] != 1 {
		t.Errorf("days %v, want 03-07:1 03-08:2 03-09:1", got)
	}
	// The range itself is in the zone: 03-08 alone holds B and C.
	rows = reportRows(t, h, acct.ID, key, "group_by=event&from=2026-03-08&to=2026-03-08")
	if len(rows) != 1 || rows[0]["approved"] != 2.0 {
		t.Errorf("one New York day %v, want 2 conversions", rows)
	}
}
