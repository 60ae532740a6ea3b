package api_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/store"
)

// costSetup makes the harness account USD in UTC with 1 EUR = 1.1 USD.
func costSetup(t *testing.T, h *harness) {
	t.Helper()
	ctx := context.Background()
	if _, err := h.st.UpdateAccountSettings(ctx, h.account.ID, store.AccountSettings{Currency: "USD", Timezone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.SaveRates(ctx, []store.DayRates{{Date: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Base: "EUR",
		Rates: map[string]decimal.Decimal{"USD": decimal.RequireFromString("1.1")}}}); err != nil {
		t.Fatal(err)
	}
}

// A report by sub1 over clicks that carried their cost on the click redirect
// ({cost} filled by the traffic source, or left unfilled) and a campaign's day
// cost posted in EUR, with conversions in USD and EUR, shows cost, revenue,
// profit, ROI and CPA in USD equal to a hand computation, in JSON and CSV, and
// sorts by ROI.
func TestReportProfitBySub1(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	costSetup(t, h)
	offer := `"offer_url":"https://o.example/?c={click_id}&k={cost}","traffic_source":"ts"}`
	c1, c2 := h.createCampaign(`{"name":"c1",`+offer), h.createCampaign(`{"name":"c2",`+offer)
	hit := func(cp int64, query string, wantCost string) *store.Click {
		t.Helper()
		loc := h.redirect(h.hit(cp, query))
		if got := loc.Query().Get("k"); got != wantCost {
			t.Errorf("?%s: {cost} in the offer URL is %q, want %q", query, got, wantCost)
		}
		k, err := h.st.GetClick(ctx, h.account.ID, loc.Query().Get("c"))
		if err != nil {
			t.Fatal(err)
		}
		return &k
	}
	a1 := hit(c1, "sub1=a&cost=0.40", "0.4")
	hit(c1, "sub1=a&cost=%240.40", "0.4")       // "$0.40"
	b1 := hit(c1, "sub1=b&cost=%7Bcost%7D", "") // unfilled: no cost
	hit(c1, "sub1=b&cost=abc", "")              // unreadable: no cost, still a click
	hit(c2, "sub1=a&cost=1.00", "1")            // replaced by the day cost below
	for i := 0; i < 3; i++ {
		hit(c2, "sub1=b", "")
	}
	today := time.Now().UTC().Format(time.DateOnly)
	// 8 EUR = 8.80 USD over campaign 2's 4 clicks: 2.20 each.
	code, out := h.admin("POST", "/costs", `{"campaign_id":`+strconv.FormatInt(c2, 10)+`,"date":"`+today+`","cost":"8","currency":"EUR"}`)
	if code != http.StatusOK || out["clicks"] != 4.0 || out["cost_account"] != "8.8" || out["account_currency"] != "USD" {
		t.Fatalf("POST /costs: %d %v", code, out)
	}
	now := time.Now().UTC()
	recordConv(t, h.st, h.account.ID, "t1", a1, conv.StatusApproved, "10", "USD", now)
	recordConv(t, h.st, h.account.ID, "t2", a1, conv.StatusApproved, "5", "EUR", now)  // 5.50 USD
	recordConv(t, h.st, h.account.ID, "t3", b1, conv.StatusApproved, "20", "EUR", now) // 22 USD
	recordConv(t, h.st, h.account.ID, "t4", b1, conv.StatusRejected, "100", "USD", now)

	want := map[string][5]string{ // cost, revenue, profit, roi, cpa
		// a: 0.40 + 0.40 + 2.20; 10 + 5.50; 15.50 - 3; 12.50 / 3; 3 / 2 conversions
		"a": {"3", "15.5", "12.5", "4.1667", "1.5"},
		// b: 3 x 2.20 (no cost on campaign 1's two); 22; 22 - 6.60; 15.40 / 6.60; 6.60 / 1
		"b": {"6.6", "22", "15.4", "2.3333", "6.6"},
	}
	rows := reportRows(t, h, h.account.ID, h.key, "group_by=sub1&from="+today+"&to="+today)
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	for _, r := range rows {
		w := want[r["key"].(string)]
		for i, f := range []string{"cost", "revenue", "profit", "roi", "cpa"} {
			if !dec(t, r[f]).Equal(decimal.RequireFromString(w[i])) {
				t.Errorf("sub1 %s: %s %v, want %s", r["key"], f, r[f], w[i])
			}
		}
	}
	// Sorted by ROI, highest first (the default for a figure), then lowest first.
	for dir, first := range map[string]string{"": "a", "&dir=asc": "b"} {
		if rows := reportRows(t, h, h.account.ID, h.key, "group_by=sub1&sort=roi"+dir+"&from="+today+"&to="+today); rows[0]["key"] != first {
			t.Errorf("sort=roi%s: first %v, want %s", dir, rows[0]["key"], first)
		}
	}
	for _, q := range []string{"sort=planet", "sort=roi&dir=up", "sort=country"} {
		if code, out := h.admin("GET", "/reports?group_by=sub1&"+q, ""); code != http.StatusBadRequest || out["field"] == nil {
			t.Errorf("?%s: %d %v, want 400 naming the field", q, code, out)
		}
	}
	// The CSV carries the same figures.
	req, _ := http.NewRequest("GET", h.srv.URL+"/v1/accounts/"+h.account.ID+"/reports?format=csv&group_by=sub1&from="+today+"&to="+today, nil)
	req.Header.Set("Authorization", "Bearer "+h.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("csv %v %v", recs, err)
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	if a := recs[1]; a[0] != "a" || a[col["cost"]] != "3" || a[col["profit"]] != "12.5" || a[col["roi"]] != "4.1667" || a[col["cpa"]] != "1.5" {
		t.Errorf("csv header %v, row a %v", recs[0], a)
	}
}

// POST /costs refuses what it cannot take with 422 naming the field (never a
// 5xx), a malformed body with 400, and a period overlapping another with 409;
// a cost is audited.
func TestPostCostsValidation(t *testing.T) {
	h := newHarness(t)
	costSetup(t, h)
	cp := strconv.FormatInt(h.createCampaign(`{"name":"c","offer_url":"https://o.example/"}`), 10)
	for _, c := range []struct{ body, field string }{
		{`{"campaign_id":"abc","date":"2026-03-10","cost":"1"}`, "campaign_id"},
		{`{"date":"2026-03-10","cost":"1"}`, "campaign_id"},
		{`{"campaign_id":999999,"date":"2026-03-10","cost":"1"}`, "campaign_id"},
		{`{"campaign_id":` + cp + `,"date":"2026-02-30","cost":"1"}`, "date"},
		{`{"campaign_id":` + cp + `,"date":"10/03/2026","cost":"1"}`, "date"},
		{`{"campaign_id":` + cp + `,"date":"2026-03-10","hour":24,"cost":"1"}`, "hour"},
		{`{"campaign_id":` + cp + `,"date":"2026-03-10","hour":"noon","cost":"1"}`, "hour"},
		{`{"campaign_id":` + cp + `,"date":"2026-03-10","cost":"-1"}`, "cost"},
		{`{"campaign_id":` + cp + `,"date":"2026-03-10","cost":"12,345.6"}`, "cost"},
		{`{"campaign_id":` + cp + `,"date":"2026-03-10","cost":1e99}`, "cost"},
		{`{"campaign_id":` + cp + `,"date":"2026-03-10","cost":true}`, "cost"},
		{`{"campaign_id":` + cp + `,"date":"2026-03-10"}`, "cost"},
		{`{"campaign_id":` + cp + `,"date":"2026-03-10","cost":"1","currency":"XYZ"}`, "currency"},
		{`{"campaign_id":` + cp + `,"date":"2026-03-10","cost":"1","currency":"JPY"}`, "currency"}, // no rate known
	} {
		code, out := h.admin("POST", "/costs", c.body)
		if code != http.StatusUnprocessableEntity || out["field"] != c.field {
			t.Errorf("%s: %d %v, want 422 naming %s", c.body, code, out, c.field)
		}
	}
	for _, body := range []string{`{"campaign_id":`, `{"campaign":1}`, `[]`} {
		if code, out := h.admin("POST", "/costs", body); code != http.StatusBadRequest {
			t.Errorf("%s: %d %v, want 400", body, code, out)
		}
	}
	if code, out := h.admin("POST", "/costs", `{"campaign_id":`+cp+`,"date":"2026-03-10","cost":12.5,"currency":"eur"}`); code != http.StatusOK ||
		out["cost"] != "12.5" || out["currency"] != "EUR" || out["cost_account"] != "13.75" {
		t.Fatalf("a good cost: %d %v", code, out)
	}
	// The largest cost, converted, still fits.
	if code, out := h.admin("POST", "/costs", `{"campaign_id":`+cp+`,"date":"2026-04-01","cost":"9999999999.999999","currency":"EUR"}`); code != http.StatusOK {
		t.Errorf("the largest cost: %d %v", code, out)
	}
	if code, out := h.admin("POST", "/costs", `{"campaign_id":`+cp+`,"date":"2026-03-10","hour":5,"cost":"1"}`); code != http.StatusConflict {
		t.Errorf("an hour of a day with a cost: %d %v, want 409", code, out)
	}
	// POST /clicks takes a cost too, and refuses one it cannot read.
	if code, out := h.admin("POST", "/clicks", `{"campaign_id":`+cp+`,"cost":"abc"}`); code != http.StatusUnprocessableEntity || out["field"] != "cost" {
		t.Errorf("a click with cost abc: %d %v, want 422 naming cost", code, out)
	}
	code, out := h.admin("POST", "/clicks", `{"campaign_id":`+cp+`,"cost":0.25}`)
	if code != http.StatusCreated {
		t.Fatalf("a click with a cost: %d %v", code, out)
	}
	var cost decimal.Decimal
	if err := h.st.Pool.QueryRow(context.Background(), `SELECT cost FROM clicks WHERE id = $1`, out["click_id"]).Scan(&cost); err != nil || cost.String() != "0.25" {
		t.Errorf("the click's cost: %s %v", cost, err)
	}
	// An hour the clocks skip in the account's time zone does not exist.
	if code, out := h.admin("PUT", "/settings", `{"timezone":"Europe/Berlin"}`); code != http.StatusOK {
		t.Fatalf("settings: %d %v", code, out)
	}
	if code, out := h.admin("POST", "/costs", `{"campaign_id":`+cp+`,"date":"2026-03-29","hour":2,"cost":"1"}`); code != http.StatusUnprocessableEntity || out["field"] != "hour" {
		t.Errorf("02:00 on the day Berlin skips it: %d %v, want 422 naming hour", code, out)
	}
	entries, err := h.st.ListAudit(context.Background(), h.account.ID, store.AuditFilter{Action: "cost.set", Limit: 10})
	if err != nil || len(entries) != 2 || entries[1].Target != "campaign:"+cp {
		t.Errorf("audit %v %v, want two cost.set of campaign:%s", entries, err, cp)
	}
}

// The CSV import of costs answers every row's result, as the conversion import
// does: accepted rows (a period again: replaced), rejected ones with the reason.
func TestImportCosts(t *testing.T) {
	h := newHarness(t)
	costSetup(t, h)
	cp := strconv.FormatInt(h.createCampaign(`{"name":"c","offer_url":"https://o.example/"}`), 10)
	file := "\ufeffCampaign_ID,date,hour,cost,currency\n" +
		cp + ",2026-03-10,,5,USD\n" + // 1 accepted
		cp + ",2026-03-10,,6,\n" + // 2 accepted, replaces row 1
		cp + ",2026-02-30,,1,\n" + // 3 bad date
		cp + ",2026-03-11,3,abc,\n" + // 4 bad cost
		cp + ",2026-03-11,3,1,XYZ\n" + // 5 bad currency
		cp + ",2026-03-11\n" + // 6 short row
		"999999,2026-03-11,,1,\n" + // 7 not a campaign of the account
		cp + ",2026-03-10,4,1,USD\n" + // 8 an hour of a day with a cost
		cp + ",2026-03-11,5,2.5,EUR\n" // 9 accepted: 2.75 USD
	code, out := h.do("POST", "/v1/accounts/"+h.account.ID+"/costs/import", "text/csv", file, "Authorization", "Bearer "+h.key)
	if code != http.StatusOK || out["accepted"] != 3.0 || out["rejected"] != 6.0 || out["complete"] != true {
		t.Fatalf("import: %d %v", code, out)
	}
	rows := out["rows"].([]any)
	want := []struct {
		status, field string
	}{{"accepted", ""}, {"accepted", ""}, {"rejected", "date"}, {"rejected", "cost"}, {"rejected", "currency"},
		{"rejected", "columns"}, {"rejected", "campaign"}, {"rejected", "overlaps"}, {"accepted", ""}}
	for i, w := range want {
		r := rows[i].(map[string]any)
		msg, _ := r["error"].(string)
		if r["row"] != float64(i+1) || r["status"] != w.status || !strings.Contains(msg, w.field) {
			t.Errorf("row %d: %v, want %s (%s)", i+1, r, w.status, w.field)
		}
	}
	if r := rows[1].(map[string]any); r["replaced"] != true || r["cost_account"] != "6" {
		t.Errorf("row 2 %v, want the day's cost replaced", r)
	}
	if r := rows[8].(map[string]any); r["cost_account"] != "2.75" || r["clicks"] != 0.0 {
		t.Errorf("row 9 %v, want 2.75 USD over no clicks", r)
	}
	// A header it cannot read is refused whole, naming the file.
	for _, bad := range []string{"campaign_id,date,price\n1,2026-03-10,1\n", "campaign_id,date\n", ""} {
		code, out := h.do("POST", "/v1/accounts/"+h.account.ID+"/costs/import", "text/csv", bad, "Authorization", "Bearer "+h.key)
		if code != http.StatusUnprocessableEntity || out["field"] != "file" {
			t.Errorf("%q: %d %v, want 422 naming the file", bad, code, out)
		}
	}
	if code, _ := h.do("POST", "/v1/accounts/"+h.account.ID+"/costs/import", "application/json", "{}", "Authorization", "Bearer "+h.key); code != http.StatusUnsupportedMediaType {
		t.Errorf("JSON body: %d, want 415", code)
	}
}
