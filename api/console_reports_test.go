package api_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/store"
)

var reportRowKey = regexp.MustCompile(`<tr><th scope="row">([^<]*)</th>`)

// The console's reports page shows cost, profit, ROI and CPA and sorts by any
// column through links (?sort=roi&dir=desc): no JavaScript needed. A row
// without ROI (no cost) comes last either way, and the sorted heading links to
// the other direction.
func TestConsoleReportsSort(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	costSetup(t, h)
	cp := h.createCampaign(`{"name":"c","offer_url":"https://o.example/"}`)
	now := time.Now().UTC()
	click := func(sub1, cost string) *store.Click {
		k := store.Click{AccountID: h.account.ID, CampaignID: &cp, Subs: map[string]string{"sub1": sub1}, CreatedAt: now}
		if cost != "" {
			d := decimal.RequireFromString(cost)
			k.Cost = &d
		}
		k, err := h.st.InsertClick(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		return &k
	}
	// x: ROI (30 - 10) / 10 = 2; y: (5 - 10) / 10 = -0.5; z: no cost, no ROI.
	recordConv(t, h.st, h.account.ID, "x", click("x", "10"), conv.StatusApproved, "30", "USD", now)
	recordConv(t, h.st, h.account.ID, "y", click("y", "10"), conv.StatusApproved, "5", "USD", now)
	recordConv(t, h.st, h.account.ID, "z", click("z", ""), conv.StatusApproved, "7", "USD", now)

	cc := newConsoleClient(t, h)
	if code, _, _ := cc.post("/console/login", url.Values{"key": {h.key}}); code != http.StatusSeeOther {
		t.Fatalf("sign-in answered %d", code)
	}
	today := now.Format(time.DateOnly)
	page := func(query string) string {
		t.Helper()
		code, body, _ := cc.get("/console/reports?group_by=sub1&from=" + today + "&to=" + today + query)
		if code != http.StatusOK {
			t.Fatalf("?%s: %d", query, code)
		}
		return body
	}
	order := func(body string) string {
		var keys []string
		for _, m := range reportRowKey.FindAllStringSubmatch(body, -1) {
			keys = append(keys, m[1])
		}
		return strings.Join(keys, ",")
	}
	for query, want := range map[string]string{
		"":                      "x,y,z", // by the group
		"&sort=roi&dir=desc":    "x,y,z",
		"&sort=roi&dir=asc":     "y,x,z", // no ROI: last either way
		"&sort=profit":          "x,z,y", // a figure: highest first
		"&sort=sub1&dir=desc":   "z,y,x",
		"&sort=cost&dir=asc":    "z,x,y", // 0, 10, 10 (ties keep their order)
		"&sort=conversion_rate": "x,y,z",
	} {
		if got := order(page(query)); got != want {
			t.Errorf("?%s: rows %s, want %s", query, got, want)
		}
	}
	body := html.UnescapeString(page("&sort=roi&dir=desc"))
	for _, want := range []string{"Cost (USD)", "Profit (USD)", ">ROI", "CPA (USD)", `aria-sort="descending"`,
		`href="/console/reports?dir=asc&`, ">-5<", ">-0.5<", ">10<",
		`<select id="sort" name="sort">`, `<option value="roi" selected>ROI</option>`} { // a form sorts too, on a phone
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if body := page("&sort=planet"); !strings.Contains(body, "sort takes one of") {
		t.Error("an unknown sort is not explained on the page")
	}
}
