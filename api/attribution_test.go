package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/store"
)

// otherAccount creates a second account and returns it with its admin key.
func (h *harness) otherAccount(tz string) (store.Account, string) {
	h.t.Helper()
	a, key, err := h.st.CreateAccount(context.Background(), store.Account{Name: "other", Timezone: tz})
	if err != nil {
		h.t.Fatal(err)
	}
	return a, key
}

func (h *harness) createCampaign(body string) int64 {
	h.t.Helper()
	code, out := h.admin("POST", "/campaigns", body)
	if code != http.StatusCreated {
		h.t.Fatalf("create campaign: %d %v", code, out)
	}
	id, ok := out["id"].(float64)
	if !ok || id <= 0 {
		h.t.Fatalf("create campaign answered no id: %v", out)
	}
	return int64(id)
}

// hit sends GET /c/{slug}?query (the campaign's slug) without following the redirect.
func (h *harness) hit(campaign int64, query string, header ...string) *http.Response {
	h.t.Helper()
	// A deleted campaign keeps its slug; an unknown one is sent as its number.
	slug := strconv.FormatInt(campaign, 10)
	_ = h.st.Pool.QueryRow(context.Background(), `SELECT slug FROM campaigns WHERE id = $1`, campaign).Scan(&slug)
	req, err := http.NewRequest("GET", h.srv.URL+"/c/"+slug+"?"+query, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// redirect expects a 302 and returns its Location, parsed.
func (h *harness) redirect(resp *http.Response) *url.URL {
	h.t.Helper()
	if resp.StatusCode != http.StatusFound {
		h.t.Fatalf("click answered %d, want 302", resp.StatusCode)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		h.t.Fatalf("Location %q: %v", resp.Header.Get("Location"), err)
	}
	return u
}

func visitorCookie(resp *http.Response) string {
	for _, c := range resp.Cookies() {
		if c.Name == "cr_vid" {
			return c.Value
		}
	}
	return ""
}

func TestCampaignsCRUDAndIsolation(t *testing.T) {
	h := newHarness(t)
	id := h.createCampaign(`{"name":"Summer","offer_url":"https://offer.example.com/?cid={click_id}","default_payout":"12.50",
		"traffic_source":"meta","traffic_source_postback":"https://ts.example.com/pb?c={click_id}","attribution_window_days":14}`)

	code, got := h.admin("GET", fmt.Sprintf("/campaigns/%d", id), "")
	if code != http.StatusOK || got["name"] != "Summer" || got["default_payout"] != "12.5" || got["traffic_source"] != "meta" ||
		got["attribution_window_days"] != float64(14) || got["tracking_url"] != "https://track.example.com/c/"+fmt.Sprint(got["slug"]) || len(fmt.Sprint(got["slug"])) != 32 {
		t.Fatalf("get campaign: %d %v", code, got)
	}
	code, list := h.admin("GET", "/campaigns", "")
	if cps, _ := list["campaigns"].([]any); code != http.StatusOK || len(cps) != 1 {
		t.Fatalf("list campaigns: %d %v", code, list)
	}
	code, got = h.admin("PUT", fmt.Sprintf("/campaigns/%d", id), `{"name":"Autumn","offer_url":"https://offer.example.com/b?cid={click_id}"}`)
	if code != http.StatusOK || got["name"] != "Autumn" || got["default_payout"] != nil || got["attribution_window_days"] != float64(30) {
		t.Fatalf("update campaign: %d %v (window 0 means 30)", code, got)
	}

	for _, bad := range []string{
		`{"offer_url":"https://o.example/"}`,
		`{"name":"x","offer_url":"ftp://o.example/"}`,
		`{"name":"x","offer_url":"https://{sub1}/landing"}`,
		`{"name":"x","offer_url":"https://o.example{sub1}/"}`,
		`{"name":"x","offer_url":"{sub1}://o.example/"}`,
		`{"name":"x","offer_url":"https://o.example/","default_payout":-1}`,
		`{"name":"x","offer_url":"https://o.example/","attribution_window_days":400}`,
	} {
		if code, out := h.admin("POST", "/campaigns", bad); code != http.StatusUnprocessableEntity {
			t.Errorf("create %s: %d %v, want 422", bad, code, out)
		}
	}

	// Another account's key: 403 on this account's paths, 404 for this account's
	// campaign under its own path.
	other, key := h.otherAccount("")
	auth := []string{"Authorization", "Bearer " + key}
	mine := "/v1/accounts/" + h.account.ID
	theirs := "/v1/accounts/" + other.ID
	for _, r := range []struct{ method, path, body string }{
		{"GET", mine + "/campaigns", ""},
		{"GET", fmt.Sprintf("%s/campaigns/%d", mine, id), ""},
		{"POST", mine + "/campaigns", `{"name":"x","offer_url":"https://o.example/"}`},
		{"DELETE", fmt.Sprintf("%s/campaigns/%d", mine, id), ""},
		{"POST", mine + "/clicks", `{}`},
		{"GET", mine + "/reports", ""},
	} {
		if code, _ := h.do(r.method, r.path, "application/json", r.body, auth...); code != http.StatusForbidden {
			t.Errorf("%s %s with another account's key: %d, want 403", r.method, r.path, code)
		}
	}
	for _, r := range []struct{ method, path, body string }{
		{"GET", fmt.Sprintf("%s/campaigns/%d", theirs, id), ""},
		{"PUT", fmt.Sprintf("%s/campaigns/%d", theirs, id), `{"name":"x","offer_url":"https://o.example/"}`},
		{"DELETE", fmt.Sprintf("%s/campaigns/%d", theirs, id), ""},
		{"POST", theirs + "/clicks", fmt.Sprintf(`{"campaign_id":%d}`, id)},
	} {
		if code, _ := h.do(r.method, r.path, "application/json", r.body, auth...); code != http.StatusNotFound {
			t.Errorf("%s %s (a campaign of another account): %d, want 404", r.method, r.path, code)
		}
	}
	if code, list := h.do("GET", theirs+"/campaigns", "", "", auth...); code != http.StatusOK || len(list["campaigns"].([]any)) != 0 {
		t.Errorf("other account's list: %d %v, want empty", code, list)
	}

	if code, _ := h.admin("DELETE", fmt.Sprintf("/campaigns/%d", id), ""); code != http.StatusNoContent {
		t.Fatalf("delete campaign: %d", code)
	}
	if code, _ := h.admin("GET", fmt.Sprintf("/campaigns/%d", id), ""); code != http.StatusNotFound {
		t.Fatalf("get deleted campaign: %d, want 404", code)
	}
	if resp := h.hit(id, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("click on deleted campaign: %d, want 404", resp.StatusCode)
	}
	if resp := h.hit(987654, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("click on unknown campaign: %d, want 404", resp.StatusCode)
	}
}

var urlSafeID = regexp.MustCompile(`^[A-Za-z0-9_-]{20,}$`)

func TestClickRedirectFillsMacrosSafely(t *testing.T) {
	h := newHarness(t)
	id := h.createCampaign(`{"name":"c","traffic_source":"meta",
		"offer_url":"https://offer.example.com/go/{sub3}?cid={click_id}&ext={external_id}&s1={sub1}&s2={sub2}&none={sub9}#top"}`)
	hostile := map[string]string{
		"external_id": "x&admin=1",
		"sub1":        "a#frag?b=c",
		"sub2":        "@evil.com/steal",
		"sub3":        "../../x/y @evil.com",
	}
	q := url.Values{}
	for k, v := range hostile {
		q.Set(k, v)
	}
	q.Set("sub2", hostile["sub2"]+"\r\nLocation: https://evil.com/")
	q.Set("p", "offer-7")
	before := time.Now()
	resp := h.hit(id, q.Encode(), "User-Agent", "TestAgent/1.0", "Referer", "https://lander.example/page")
	u := h.redirect(resp)

	if u.Scheme != "https" || u.Host != "offer.example.com" || u.User != nil || u.Fragment != "top" {
		t.Fatalf("redirect %q changed scheme, host or fragment", u)
	}
	if !strings.HasPrefix(u.EscapedPath(), "/go/") || strings.Count(u.EscapedPath(), "/") != 2 || u.Path != "/go/"+hostile["sub3"] {
		t.Fatalf("redirect path %q (escaped %q); want one segment holding %q", u.Path, u.EscapedPath(), hostile["sub3"])
	}
	got := u.Query()
	if len(got) != 5 {
		t.Fatalf("redirect query %q has parameters %v; want exactly cid, ext, s1, s2, none", u.RawQuery, got)
	}
	want := map[string]string{"ext": hostile["external_id"], "s1": hostile["sub1"], "s2": hostile["sub2"] + "\r\nLocation: https://evil.com/", "none": ""}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("redirect %s = %q, want %q", k, got.Get(k), v)
		}
	}
	if strings.ContainsAny(u.RawQuery, " \r\n#@/?") {
		t.Errorf("raw query %q holds unencoded characters", u.RawQuery)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}

	clickID := got.Get("cid")
	if !urlSafeID.MatchString(clickID) {
		t.Fatalf("click id %q is not a long URL-safe id", clickID)
	}
	k, err := h.st.GetClick(context.Background(), h.account.ID, clickID)
	if err != nil {
		t.Fatal(err)
	}
	if k.CampaignID == nil || *k.CampaignID != id || k.ExternalID != hostile["external_id"] || k.PageID != "offer-7" ||
		k.Subs["sub1"] != hostile["sub1"] || k.Subs["sub3"] != hostile["sub3"] || k.UserAgent != "TestAgent/1.0" ||
		k.Referrer != "https://lander.example/page" || k.IP != "127.0.0.1" || k.TrafficSource != "meta" ||
		k.CreatedAt.Before(before.Add(-time.Second)) || k.VisitorID == "" || k.VisitorID != visitorCookie(resp) {
		t.Fatalf("stored click = %+v (cookie %q)", k, visitorCookie(resp))
	}
}

func TestClickVisitorCookieAndSourceIDs(t *testing.T) {
	h := newHarness(t)
	id := h.createCampaign(`{"name":"c","offer_url":"https://offer.example.com/?cid={click_id}&v={visitor_id}"}`)
	ctx := context.Background()

	first := h.hit(id, "p=A")
	vid := visitorCookie(first)
	if !urlSafeID.MatchString(vid + "0000") {
		t.Fatalf("visitor cookie %q", vid)
	}
	if v := h.redirect(first).Query().Get("v"); v != vid {
		t.Fatalf("{visitor_id} = %q, want %q", v, vid)
	}
	second := h.hit(id, "p=B", "Cookie", "cr_vid="+vid)
	if visitorCookie(second) != vid {
		t.Fatalf("second hit got visitor %q, want the cookie's %q", visitorCookie(second), vid)
	}
	k, err := h.st.GetClick(ctx, h.account.ID, h.redirect(second).Query().Get("cid"))
	if err != nil || k.VisitorID != vid || k.PageID != "B" {
		t.Fatalf("second hit = %+v, %v; want visitor %q page B", k, err, vid)
	}
	// vid in the URL wins (cross-domain flows), and a malformed one is replaced.
	if third := h.hit(id, "vid=crm-visitor-1", "Cookie", "cr_vid="+vid); visitorCookie(third) != "crm-visitor-1" {
		t.Fatalf("vid parameter ignored: cookie %q", visitorCookie(third))
	}
	if bad := visitorCookie(h.hit(id, "vid="+url.QueryEscape(`a;b "c"`))); bad == "" || strings.ContainsAny(bad, `; "`) {
		t.Fatalf("malformed vid kept as %q", bad)
	}

	// fbclid becomes Meta's fbc: fb.1.<unix ms>.<fbclid>.
	before := time.Now().UnixMilli()
	fb := h.hit(id, "fbclid=IwAR2xyz_-Q&gclid=G1&gbraid=GB&wbraid=WB&ttclid=TT")
	after := time.Now().UnixMilli()
	k, err = h.st.GetClick(ctx, h.account.ID, h.redirect(fb).Query().Get("cid"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^fb\.1\.(\d{13})\.IwAR2xyz_-Q$`).FindStringSubmatch(k.FBC)
	if m == nil {
		t.Fatalf("fbc = %q, want fb.1.<unix ms>.IwAR2xyz_-Q", k.FBC)
	}
	if ms, _ := strconv.ParseInt(m[1], 10, 64); ms < before || ms > after {
		t.Fatalf("fbc time %d outside the request (%d..%d)", ms, before, after)
	}
	if k.FBCLID != "IwAR2xyz_-Q" || k.GCLID != "G1" || k.GBRAID != "GB" || k.WBRAID != "WB" || k.TTCLID != "TT" {
		t.Fatalf("source click ids = %+v", k)
	}
	// An fbc the browser already has is kept.
	kept := h.hit(id, "fbclid=NEW", "Cookie", "_fbc=fb.1.1700000000000.OLD; _fbp=fb.1.1700000000000.123")
	k, _ = h.st.GetClick(ctx, h.account.ID, h.redirect(kept).Query().Get("cid"))
	if k.FBC != "fb.1.1700000000000.OLD" || k.FBP != "fb.1.1700000000000.123" {
		t.Fatalf("fbc/fbp = %q %q; want the cookies' values", k.FBC, k.FBP)
	}
}

func TestCreateClickAPI(t *testing.T) {
	h := newHarness(t)
	id := h.createCampaign(`{"name":"c","offer_url":"https://offer.example.com/"}`)
	code, out := h.admin("POST", "/clicks", fmt.Sprintf(`{"campaign_id":%d,"external_id":"crm-1","email":" Lead@Example.com ",
		"fbclid":"FBX","ip":"203.0.113.5","user_agent":"UA","subs":{"sub1":"x"}}`, id))
	if code != http.StatusCreated {
		t.Fatalf("create click: %d %v", code, out)
	}
	clickID, _ := out["click_id"].(string)
	vid, _ := out["visitor_id"].(string)
	if !urlSafeID.MatchString(clickID) || vid == "" {
		t.Fatalf("create click answered %v", out)
	}
	k, err := h.st.GetClick(context.Background(), h.account.ID, clickID)
	if err != nil || k.VisitorID != vid || k.Email != "lead@example.com" || k.IP != "203.0.113.5" || k.ExternalID != "crm-1" ||
		!strings.HasPrefix(k.FBC, "fb.1.") || !strings.HasSuffix(k.FBC, ".FBX") || k.Subs["sub1"] != "x" || *k.CampaignID != id {
		t.Fatalf("stored click = %+v, %v", k, err)
	}
	code, out = h.admin("POST", "/clicks", `{"visitor_id":"known-visitor","fbc":"fb.1.1.SENT","fbclid":"IGNORED"}`)
	if code != http.StatusCreated || out["visitor_id"] != "known-visitor" || out["fbc"] != "fb.1.1.SENT" {
		t.Fatalf("create click with visitor and fbc: %d %v", code, out)
	}
	for _, bad := range []string{`{"visitor_id":"a b"}`, `{"ip":"not-an-ip"}`, `{"subs":{"foo":"x"}}`} {
		if code, out := h.admin("POST", "/clicks", bad); code != http.StatusUnprocessableEntity {
			t.Errorf("create click %s: %d %v, want 422", bad, code, out)
		}
	}
	if code, _ := h.admin("POST", "/clicks", `{"campaign_id":999999}`); code != http.StatusNotFound {
		t.Errorf("unknown campaign: %d, want 404", code)
	}
}

// record stores one conversion through the store, as the workflow does.
func record(t *testing.T, st *store.Store, account, tx, event string, cp *store.Campaign, to conv.Status, value string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	e := &store.LogEntry{AccountID: account, Integration: "pb", Method: "GET", Path: "/pb", ReceivedAt: at,
		Canonical: []byte(`{"transaction_id":"` + tx + `"}`), TransactionID: tx, WorkflowID: "conv/" + account + "/" + tx, Outcome: "accepted"}
	if err := st.InsertLog(ctx, e); err != nil {
		t.Fatal(err)
	}
	attr := conv.Attribution{Reason: "No match found for click_id x", AccountCurrency: "USD"}
	if cp != nil {
		attr = conv.Attribution{Attributed: true, CampaignID: cp.ID, TrafficSource: cp.TrafficSource, AccountCurrency: "USD"}
	}
	if _, err := st.Record(ctx, store.RecordParams{PostbackID: e.ID, AccountID: account, TxKey: tx, TransactionID: tx, EventName: event,
		Currency: "USD", ConvertedAt: at, Attribution: attr,
		Decision: conv.Decision{Apply: true, From: conv.StatusNone, To: to, Value: decimal.RequireFromString(value)}}); err != nil {
		t.Fatal(err)
	}
}

func TestReports(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	acct, key := h.otherAccount("Asia/Tokyo") // UTC+9, no daylight saving
	auth := []string{"Authorization", "Bearer " + key}
	newCampaign := func(name, source string) store.Campaign {
		cp, err := h.st.CreateCampaign(ctx, store.Campaign{AccountID: acct.ID,
			CampaignSettings: store.CampaignSettings{Name: name, OfferURL: "https://o.example/", TrafficSource: source}})
		if err != nil {
			t.Fatal(err)
		}
		return cp
	}
	c1, c2 := newCampaign("one", "fb"), newCampaign("two", "tt")
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, k := range []struct {
		cp *store.Campaign
		at string
	}{
		{&c1, "2026-03-09T16:00:00Z"}, // 03-10 01:00 in Tokyo
		{&c1, "2026-03-10T02:00:00Z"},
		{&c1, "2026-03-10T03:00:00Z"},
		{&c2, "2026-03-11T01:00:00Z"},
		{&c2, "2026-03-09T14:00:00Z"}, // 03-09 23:00 in Tokyo
		{&c1, "2026-03-01T00:00:00Z"}, // outside the range
		{&c1, "2026-03-11T15:00:00Z"}, // 03-12 00:00 in Tokyo: outside
	} {
		if _, err := h.st.InsertClick(ctx, store.Click{AccountID: acct.ID, CampaignID: &k.cp.ID, CreatedAt: utc(k.at)}); err != nil {
			t.Fatal(err)
		}
	}
	record(t, h.st, acct.ID, "T1", "Purchase", &c1, conv.StatusApproved, "10.50", utc("2026-03-10T03:30:00Z"))
	record(t, h.st, acct.ID, "T2", "Lead", &c1, conv.StatusPending, "0.01", utc("2026-03-10T04:00:00Z"))
	record(t, h.st, acct.ID, "T3", "Purchase", &c2, conv.StatusApproved, "5.25", utc("2026-03-11T02:00:00Z"))
	record(t, h.st, acct.ID, "T4", "Purchase", &c2, conv.StatusRejected, "0", utc("2026-03-11T03:00:00Z"))
	record(t, h.st, acct.ID, "T5", "Lead", nil, conv.StatusApproved, "1", utc("2026-03-09T14:30:00Z"))  // 03-09 23:30 Tokyo
	record(t, h.st, acct.ID, "T6", "Lead", &c1, conv.StatusApproved, "99", utc("2026-03-11T15:30:00Z")) // 03-12: outside
	// Another account's data never shows.
	record(t, h.st, h.account.ID, "X1", "Purchase", nil, conv.StatusApproved, "1000", utc("2026-03-10T03:30:00Z"))

	// row: clicks, pending, approved, rejected, conversions, revenue, rate ("" = null)
	type row struct {
		clicks, pending, approved, rejected, conversions float64
		revenue, rate                                    string
	}
	id1, id2 := strconv.FormatInt(c1.ID, 10), strconv.FormatInt(c2.ID, 10)
	cases := map[string]map[string]row{
		"campaign": {
			id1: {3, 1, 1, 0, 2, "10.51", "0.6667"},
			id2: {2, 0, 1, 1, 1, "5.25", "0.5"},
			"":  {0, 0, 1, 0, 1, "1", ""},
		},
		"traffic_source": {
			"fb": {3, 1, 1, 0, 2, "10.51", "0.6667"},
			"tt": {2, 0, 1, 1, 1, "5.25", "0.5"},
			"":   {0, 0, 1, 0, 1, "1", ""},
		},
		"event": {
			"Purchase": {0, 0, 2, 1, 2, "15.75", ""},
			"Lead":     {0, 1, 1, 0, 2, "1.01", ""},
		},
		"day": {
			"2026-03-09": {1, 0, 1, 0, 1, "1", "1"},
			"2026-03-10": {3, 1, 1, 0, 2, "10.51", "0.6667"},
			"2026-03-11": {1, 0, 1, 1, 1, "5.25", "1"},
		},
	}
	for group, want := range cases {
		code, out := h.do("GET", "/v1/accounts/"+acct.ID+"/reports?group_by="+group+"&from=2026-03-09&to=2026-03-11", "", "", auth...)
		if code != http.StatusOK || out["timezone"] != "Asia/Tokyo" || out["from"] != "2026-03-09" || out["to"] != "2026-03-11" {
			t.Fatalf("report %s: %d %v", group, code, out)
		}
		rows, _ := out["rows"].([]any)
		if len(rows) != len(want) {
			t.Fatalf("report %s rows = %v, want %d groups", group, rows, len(want))
		}
		for _, r := range rows {
			m := r.(map[string]any)
			w, ok := want[m["key"].(string)]
			if !ok {
				t.Fatalf("report %s: unexpected group %v", group, m)
			}
			rev, _ := m["revenue"].(string) // decimal, as a string
			if m["clicks"] != w.clicks || m["pending"] != w.pending || m["approved"] != w.approved || m["rejected"] != w.rejected ||
				m["conversions"] != w.conversions || !decimal.RequireFromString(rev).Equal(decimal.RequireFromString(w.revenue)) {
				t.Errorf("report %s group %q = %v, want %+v", group, m["key"], m, w)
			}
			switch rate, isString := m["conversion_rate"].(string); {
			case w.rate == "" && m["conversion_rate"] != nil:
				t.Errorf("report %s group %q rate = %v, want null", group, m["key"], m["conversion_rate"])
			case w.rate != "" && (!isString || !decimal.RequireFromString(rate).Equal(decimal.RequireFromString(w.rate))):
				t.Errorf("report %s group %q rate = %v, want decimal %s", group, m["key"], m["conversion_rate"], w.rate)
			}
		}
	}

	// One day, taken in Tokyo time.
	code, out := h.do("GET", "/v1/accounts/"+acct.ID+"/reports?group_by=day&from=2026-03-10&to=2026-03-10", "", "", auth...)
	if rows, _ := out["rows"].([]any); code != http.StatusOK || len(rows) != 1 || rows[0].(map[string]any)["key"] != "2026-03-10" {
		t.Fatalf("one-day report: %d %v", code, out)
	}
	for _, q := range []string{"group_by=week", "from=2026-13-01", "to=yesterday", "from=2026-03-10&to=2026-03-09"} {
		if code, out := h.do("GET", "/v1/accounts/"+acct.ID+"/reports?"+q, "", "", auth...); code != http.StatusBadRequest {
			t.Errorf("report ?%s: %d %v, want 400", q, code, out)
		}
	}
	if code, out := h.do("GET", "/v1/accounts/"+acct.ID+"/reports", "", "", auth...); code != http.StatusOK {
		t.Errorf("report with defaults: %d %v", code, out)
	}
}
