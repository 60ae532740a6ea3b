package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// adminCall runs an admin API handler in process for a console form, so the
// console and the API share one validation and one write path. It returns the
// status and the decoded JSON answer.
func (s *server) adminCall(c *gin.Context, h gin.HandlerFunc, method string, params gin.Params, body any) (int, map[string]any) {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(c.Request.Context(), method, "/", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	return s.runAdmin(c, h, req, params)
}

// adminCallQuery runs a GET admin handler with a query string.
func (s *server) adminCallQuery(c *gin.Context, h gin.HandlerFunc, q url.Values) (int, map[string]any) {
	req, _ := http.NewRequestWithContext(c.Request.Context(), http.MethodGet, "/?"+q.Encode(), nil)
	return s.runAdmin(c, h, req, nil)
}

// runAdmin calls h on req as the signed-in key of the console session.
func (s *server) runAdmin(c *gin.Context, h gin.HandlerFunc, req *http.Request, params gin.Params) (int, map[string]any) {
	rec := httptest.NewRecorder()
	ctx, _ := gin.CreateTestContext(rec)
	ctx.Request = req
	ctx.Params = append(gin.Params{{Key: "account", Value: consoleAccount(c)}}, params...)
	if k, ok := c.Get(apiKeyContext); ok {
		ctx.Set(apiKeyContext, k)
	}
	h(ctx)
	ctx.Writer.WriteHeaderNow() // an answer without a body (204) sets its status only here
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func answerError(out map[string]any) string {
	if msg, ok := out["error"].(string); ok {
		return msg
	}
	return "the request was refused"
}

func (s *server) consoleIntegrationsOf(c *gin.Context) ([]consoleIntegration, error) {
	ins, err := s.Store.ListIntegrations(c.Request.Context(), consoleAccount(c))
	if err != nil {
		return nil, err
	}
	out := make([]consoleIntegration, 0, len(ins))
	for _, in := range ins {
		out = append(out, s.newConsoleIntegration(in))
	}
	return out, nil
}

func (s *server) consoleHome(c *gin.Context) {
	ctx := c.Request.Context()
	account := consoleAccount(c)
	ins, err := s.consoleIntegrationsOf(c)
	if err != nil {
		s.consoleError(c, "integrations", err)
		return
	}
	rows, err := s.Store.ListLog(ctx, account, store.LogFilter{Limit: 200})
	if err != nil {
		s.consoleError(c, "postback log", err)
		return
	}
	failedDel, err := s.Store.ListDeliveries(ctx, account, store.DeliveryFilter{Status: "failed", Limit: 200})
	if err != nil {
		s.consoleError(c, "deliveries", err)
		return
	}
	failed, rejected := 0, 0
	for _, r := range rows {
		switch r.Outcome {
		case "failed":
			failed++
		case "rejected":
			rejected++
		}
	}
	s.renderConsole(c, http.StatusOK, "home", gin.H{"Title": "Overview", "Integrations": ins, "HasPostbacks": len(rows) > 0,
		"Postbacks": len(rows), "Failed": failed, "Rejected": rejected, "FailedDeliveries": len(failedDel), "Flash": c.Query("flash")})
}

func (s *server) consoleIntegrations(c *gin.Context) {
	s.renderIntegrations(c, gin.H{})
}

func (s *server) renderIntegrations(c *gin.Context, data gin.H) {
	ins, err := s.consoleIntegrationsOf(c)
	if err != nil {
		s.consoleError(c, "integrations", err)
		return
	}
	var presets []string
	for _, p := range postback.Presets() {
		presets = append(presets, p.Name)
	}
	if _, ok := data["Flash"]; !ok {
		data["Flash"] = c.Query("flash")
	}
	data["Title"], data["Integrations"], data["Presets"] = "Integrations", ins, presets
	s.renderConsole(c, http.StatusOK, "integrations", data)
}

func (s *server) consoleCreateIntegration(c *gin.Context) {
	slug := strings.TrimSpace(c.PostForm("slug"))
	code, out := s.adminCall(c, s.createIntegration, http.MethodPost, nil, map[string]any{"slug": slug, "preset": c.PostForm("preset")})
	if code != http.StatusCreated {
		s.renderIntegrations(c, gin.H{"Error": "Not created: " + answerError(out)})
		return
	}
	s.showToken(c, "Integration created: paste its postback URL into your network.", out, &shownToken{Slug: slug})
}

// showToken renders the integrations page with a token just made, in full:
// this answer is the only place it appears (never in a redirect's URL, and
// the browser is told not to keep the page).
func (s *server) showToken(c *gin.Context, flash string, out map[string]any, t *shownToken) {
	t.Token, _ = out["token"].(string)
	t.URLTemplate, _ = out["postback_url_template"].(string)
	c.Header("Cache-Control", "no-store")
	s.renderIntegrations(c, gin.H{"NewToken": t, "Flash": flash})
}

// consoleRotateToken gives an integration a new token beside its live ones and
// shows it once; the older ones work until revoked, so the network can switch.
func (s *server) consoleRotateToken(c *gin.Context) {
	slug := c.Param("slug")
	code, out := s.adminCall(c, s.addIntegrationToken, http.MethodPost, gin.Params{{Key: "slug", Value: slug}}, nil)
	if code != http.StatusCreated {
		s.renderIntegrations(c, gin.H{"Error": "No new token: " + answerError(out)})
		return
	}
	s.showToken(c, "New token for "+slug+": put its URL in the network, then revoke the older token.", out,
		&shownToken{Slug: slug, Rotated: true})
}

// consoleRevokeToken revokes one token of an integration.
func (s *server) consoleRevokeToken(c *gin.Context) {
	code, out := s.adminCall(c, s.revokeIntegrationToken, http.MethodDelete,
		gin.Params{{Key: "slug", Value: c.Param("slug")}, {Key: "id", Value: c.Param("id")}}, nil)
	msg := "Token revoked: postbacks carrying it are refused from now on."
	if code != http.StatusNoContent {
		msg = "Not revoked: " + answerError(out)
	}
	flashRedirect(c, consoleBase+"/integrations", msg)
}

type testResultView struct {
	Decision, Error, TxKey, Canonical string
	Status                            int
}

func (s *server) consoleTestPostback(c *gin.Context) {
	req := map[string]any{"integration": c.PostForm("integration"), "query": c.PostForm("query"), "body": c.PostForm("body")}
	if b := strings.TrimSpace(c.PostForm("body")); strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[") {
		req["content_type"] = "application/json"
	}
	code, out := s.adminCall(c, s.testPostback, http.MethodPost, nil, req)
	res := &testResultView{Decision: fmt.Sprint(out["decision"]), Error: fmt.Sprint(orEmpty(out["error"]))}
	if code != http.StatusOK {
		res.Decision, res.Error = "refused", answerError(out)
	}
	if st, ok := out["http_status"].(float64); ok {
		res.Status = int(st)
	}
	if canon, ok := out["canonical"]; ok {
		b, _ := json.MarshalIndent(canon, "", "  ")
		res.Canonical, res.TxKey = string(b), fmt.Sprint(out["transaction_key"])
	}
	s.renderIntegrations(c, gin.H{"TestResult": res, "TestQuery": c.PostForm("query"), "TestBody": c.PostForm("body"),
		"TestIntegration": c.PostForm("integration")})
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

type postbackFilterView struct {
	Outcome, Integration, From, To, TransactionID, Text string
}

func (s *server) consolePostbacks(c *gin.Context) {
	f := postbackFilterView{Outcome: c.Query("outcome"), Integration: c.Query("integration"), From: c.Query("from"), To: c.Query("to"),
		TransactionID: c.Query("transaction_id"), Text: c.Query("q")}
	lf := store.LogFilter{Outcome: f.Outcome, Integration: f.Integration, TransactionID: f.TransactionID, Text: f.Text, Limit: 50}
	var errMsg string
	if f.From != "" {
		t, err := time.Parse("2006-01-02", f.From)
		if err != nil {
			errMsg = "From must be a date."
		}
		lf.From = t
	}
	if f.To != "" {
		t, err := time.Parse("2006-01-02", f.To)
		if err != nil {
			errMsg = "To must be a date."
		}
		lf.To = t.AddDate(0, 0, 1)
	}
	lf.Before = consoleCursor(c)
	rows, err := s.Store.ListLog(c.Request.Context(), consoleAccount(c), lf)
	if err != nil {
		s.consoleError(c, "postback log", err)
		return
	}
	views := make([]postbackView, 0, len(rows))
	for _, r := range rows {
		views = append(views, newPostbackView(r))
	}
	next := ""
	if len(rows) == lf.Limit {
		next = consoleNextPage(c, "/postbacks", rows[len(rows)-1].ID)
	}
	tmpl := ""
	if ins, err := s.consoleIntegrationsOf(c); err == nil && len(ins) > 0 {
		tmpl = ins[0].URLTemplate
	}
	s.renderConsole(c, http.StatusOK, "postbacks", gin.H{"Title": "Postback log", "Rows": views, "F": f, "Next": next, "Error": errMsg,
		"Outcomes": []string{"accepted", "rejected", "duplicate", "suppressed", "failed"}, "TemplateURL": tmpl, "Flash": c.Query("flash")})
}

func (s *server) consolePostback(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		c.String(http.StatusNotFound, "no such postback")
		return
	}
	e, err := s.Store.GetLog(c.Request.Context(), consoleAccount(c), id)
	if err != nil {
		s.consoleError(c, "postback", err)
		return
	}
	s.renderConsole(c, http.StatusOK, "postback", gin.H{"Title": "Postback " + c.Param("id"), "P": newPostbackView(e), "Flash": c.Query("flash")})
}

func (s *server) consoleRetryPostback(c *gin.Context) {
	code, out := s.adminCall(c, s.retryPostback, http.MethodPost, gin.Params{{Key: "id", Value: c.Param("id")}}, nil)
	msg := "Re-driven: it goes through its workflow again."
	if code != http.StatusAccepted {
		msg = "Not re-driven: " + answerError(out)
	}
	flashRedirect(c, consoleBase+"/postbacks/"+c.Param("id"), msg)
}

func (s *server) consoleConversions(c *gin.Context) {
	f := store.ConversionFilter{TransactionID: c.Query("transaction_id"), Status: c.Query("status"), Limit: 50}
	f.Before = consoleCursor(c)
	rows, err := s.Store.ListConversions(c.Request.Context(), consoleAccount(c), f)
	if err != nil {
		s.consoleError(c, "conversions", err)
		return
	}
	views := make([]conversionView, 0, len(rows))
	for _, r := range rows {
		views = append(views, s.newConversionView(r))
	}
	next := ""
	if len(rows) == f.Limit {
		next = consoleNextPage(c, "/conversions", rows[len(rows)-1].ID)
	}
	s.renderConsole(c, http.StatusOK, "conversions", gin.H{"Title": "Conversions", "Rows": views, "Next": next,
		"TransactionID": f.TransactionID, "Status": f.Status, "Statuses": []string{"pending", "approved", "rejected"}})
}

func (s *server) consoleConversion(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		c.String(http.StatusNotFound, "no such conversion")
		return
	}
	cv, err := s.Store.GetConversion(c.Request.Context(), consoleAccount(c), id)
	if err != nil {
		s.consoleError(c, "conversion", err)
		return
	}
	s.renderConsole(c, http.StatusOK, "conversion", gin.H{"Title": "Conversion " + c.Param("id"), "C": s.newConversionView(cv), "Flash": c.Query("flash")})
}

func (s *server) consoleDeliveries(c *gin.Context) {
	ctx := c.Request.Context()
	failed, err := s.Store.ListDeliveries(ctx, consoleAccount(c), store.DeliveryFilter{Status: "failed", Limit: 100})
	if err != nil {
		s.consoleError(c, "deliveries", err)
		return
	}
	recent, err := s.Store.ListDeliveries(ctx, consoleAccount(c), store.DeliveryFilter{Limit: 100})
	if err != nil {
		s.consoleError(c, "deliveries", err)
		return
	}
	seen := map[int64]bool{}
	var views []deliveryView
	for _, d := range append(failed, recent...) {
		if !seen[d.ID] {
			seen[d.ID] = true
			views = append(views, newDeliveryView(d))
		}
	}
	sortFailedFirst(views)
	s.renderConsole(c, http.StatusOK, "deliveries", gin.H{"Title": "Deliveries", "Rows": views, "Flash": c.Query("flash")})
}

func (s *server) consoleRetryDelivery(c *gin.Context) {
	code, out := s.adminCall(c, s.retryDelivery, http.MethodPost, gin.Params{{Key: "id", Value: c.Param("id")}}, nil)
	msg := "Re-driven: the delivery is sent again with the same event id."
	if code != http.StatusAccepted {
		msg = "Not re-driven: " + answerError(out)
	}
	back := c.PostForm("back")
	if !strings.HasPrefix(back, consoleBase+"/") {
		back = consoleBase + "/deliveries"
	}
	flashRedirect(c, back, msg)
}

func (s *server) consoleCampaigns(c *gin.Context) { s.renderCampaigns(c, gin.H{}) }

func (s *server) renderCampaigns(c *gin.Context, data gin.H) {
	rows, err := s.Store.ListCampaigns(c.Request.Context(), consoleAccount(c))
	if err != nil {
		s.consoleError(c, "campaigns", err)
		return
	}
	views := make([]campaignView, 0, len(rows))
	for _, r := range rows {
		v := campaignView{ID: r.ID, Name: r.Name, OfferURL: r.OfferURL, TrackingURL: s.Config.PublicURL + "/c/" + itoa(r.ID),
			TrafficSource: r.TrafficSource, TrafficSourcePostback: r.TrafficSourcePostback}
		if r.DefaultPayout != nil {
			v.Payout = r.DefaultPayout.String()
		}
		views = append(views, v)
	}
	data["Title"], data["Rows"], data["Flash"] = "Campaigns", views, c.Query("flash")
	s.renderConsole(c, http.StatusOK, "campaigns", data)
}

func (s *server) consoleCreateCampaign(c *gin.Context) {
	req := map[string]any{"name": c.PostForm("name"), "offer_url": c.PostForm("offer_url"), "traffic_source": c.PostForm("traffic_source"),
		"traffic_source_postback": c.PostForm("traffic_source_postback")}
	if p := strings.TrimSpace(c.PostForm("default_payout")); p != "" {
		req["default_payout"] = p
	}
	code, out := s.adminCall(c, s.createCampaign, http.MethodPost, nil, req)
	if code != http.StatusCreated {
		s.renderCampaigns(c, gin.H{"Error": "Not created: " + answerError(out)})
		return
	}
	flashRedirect(c, consoleBase+"/campaigns", "Campaign created: use its tracking link in your ads.")
}

var destinationTypes = []string{"webhook", "postback", "meta", "tiktok", "google_ads", "ga4"}

func (s *server) consoleDestinations(c *gin.Context) { s.renderDestinations(c, gin.H{}) }

func (s *server) renderDestinations(c *gin.Context, data gin.H) {
	rows, err := s.Store.ListDestinations(c.Request.Context(), consoleAccount(c))
	if err != nil {
		s.consoleError(c, "destinations", err)
		return
	}
	views := make([]destinationView, 0, len(rows))
	edit := destinationView{Type: "webhook", Enabled: true}
	for _, r := range rows {
		v := destinationView{ID: r.ID, Type: r.Type, Name: r.Name, Endpoint: r.Endpoint, FireOn: r.FireOn.String(), Enabled: r.Enabled}
		for _, e := range r.FireOn.Events() {
			v.Events = append(v.Events, string(e))
		}
		shown := destinations.Redact(r.Config)
		names := make([]string, 0, len(shown))
		for k := range shown {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			v.Config = append(v.Config, configField{k, shown[k]})
		}
		views = append(views, v)
		if c.Query("edit") == itoa(r.ID) {
			edit = v
		}
	}
	if _, ok := data["Edit"]; !ok {
		data["Edit"] = edit
	}
	data["Title"], data["Rows"], data["Types"], data["FireOns"], data["Flash"] = "Destinations", views, destinationTypes,
		[]string{"first", "approved", "value_change", "rejected"}, c.Query("flash")
	s.renderConsole(c, http.StatusOK, "destinations", data)
}

func (s *server) consoleSaveDestination(c *gin.Context) {
	cfg := map[string]string{}
	for _, line := range strings.Split(c.PostForm("config"), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.TrimSpace(k) != "" {
			cfg[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	req := map[string]any{"type": c.PostForm("type"), "name": c.PostForm("name"), "config": cfg,
		"enabled": c.PostForm("enabled") != "false"}
	if events := c.PostFormArray("fire_on"); len(events) > 0 {
		req["fire_on"] = events // none ticked: the destination type's default
	}
	code, out := 0, map[string]any(nil)
	if id := c.PostForm("id"); id != "" && id != "0" {
		d, err := s.Store.GetDestination(c.Request.Context(), consoleAccount(c), atoi64(id))
		if err != nil {
			s.consoleError(c, "destination", err)
			return
		}
		req["type"] = d.Type
		code, out = s.adminCall(c, s.updateDestination, http.MethodPut, gin.Params{{Key: "id", Value: id}}, req)
	} else {
		code, out = s.adminCall(c, s.createDestination, http.MethodPost, nil, req)
	}
	if code != http.StatusOK && code != http.StatusCreated {
		s.renderDestinations(c, gin.H{"Error": "Not saved: " + answerError(out)})
		return
	}
	flashRedirect(c, consoleBase+"/destinations", "Destination saved.")
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

type reportRowView struct {
	Key                                 string
	Clicks, Pending, Approved, Rejected int64
	Revenue, Rate, EPC                  string
}

func (s *server) consoleReports(c *gin.Context) {
	group := c.DefaultQuery("group_by", "day")
	q := url.Values{"group_by": {group}}
	for _, k := range []string{"from", "to"} {
		if v := c.Query(k); v != "" {
			q.Set(k, v)
		}
	}
	code, out := s.adminCallQuery(c, s.report, q)
	data := gin.H{"Title": "Reports", "GroupBy": group, "Groups": []string{"day", "campaign", "traffic_source", "event"},
		"From": c.Query("from"), "To": c.Query("to"), "CSVURL": consoleBase + "/reports.csv?" + q.Encode()}
	if code != http.StatusOK {
		data["Error"] = answerError(out)
		s.renderConsole(c, http.StatusOK, "reports", data)
		return
	}
	rows, _ := out["rows"].([]any)
	var views []reportRowView
	var days []dayPoint
	for _, r := range rows {
		m, _ := r.(map[string]any)
		v := reportRowView{Key: fmt.Sprint(m["key"]), Clicks: num(m["clicks"]), Pending: num(m["pending"]), Approved: num(m["approved"]),
			Rejected: num(m["rejected"]), Revenue: fmt.Sprint(orEmpty(m["revenue"])), Rate: fmt.Sprint(orEmpty(m["conversion_rate"]))}
		rev, _ := decimal.NewFromString(v.Revenue)
		if v.Clicks > 0 {
			v.EPC = rev.Div(decimal.NewFromInt(v.Clicks)).StringFixed(4)
		}
		views = append(views, v)
		if group == "day" {
			days = append(days, dayPoint{Day: v.Key, Conversions: v.Pending + v.Approved, Revenue: rev})
		}
	}
	data["Rows"] = views
	if len(days) > 0 {
		data["Chart"] = dayChart(days)
	}
	s.renderConsole(c, http.StatusOK, "reports", data)
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

type dayPoint struct {
	Day         string
	Conversions int64
	Revenue     decimal.Decimal
}

// dayChart draws conversions (bars) and revenue (line) by day as inline SVG: no
// chart library, nothing loaded at run time, readable by a screen reader through
// the table below it.
func dayChart(days []dayPoint) template.HTML {
	sort.Slice(days, func(i, j int) bool { return days[i].Day < days[j].Day })
	const w, h, pad = 800.0, 220.0, 24.0
	var maxConv int64 = 1
	maxRev := decimal.NewFromInt(1)
	for _, d := range days {
		maxConv = max(maxConv, d.Conversions)
		if d.Revenue.GreaterThan(maxRev) {
			maxRev = d.Revenue
		}
	}
	step := (w - 2*pad) / float64(len(days))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" role="img" aria-label="conversions and revenue by day">`, w, h)
	var line []string
	for i, d := range days {
		x := pad + float64(i)*step
		bh := (h - 2*pad) * float64(d.Conversions) / float64(maxConv)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#9db8e6"><title>%s: %d conversions</title></rect>`,
			x+step*0.1, h-pad-bh, step*0.8, bh, template.HTMLEscapeString(d.Day), d.Conversions)
		ry := h - pad - (h-2*pad)*d.Revenue.Div(maxRev).InexactFloat64()
		line = append(line, fmt.Sprintf("%.1f,%.1f", x+step/2, ry))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#1e7d34" stroke-width="2"/>`, strings.Join(line, " "))
	fmt.Fprintf(&b, `<text x="%.0f" y="16" font-size="12">max %d conversions, revenue %s</text></svg>`, pad, maxConv, maxRev.String())
	return template.HTML(b.String())
}

// consoleReportsCSV exports the report shown on the page as CSV.
func (s *server) consoleReportsCSV(c *gin.Context) {
	q := url.Values{"group_by": {c.DefaultQuery("group_by", "day")}}
	for _, k := range []string{"from", "to"} {
		if v := c.Query(k); v != "" {
			q.Set(k, v)
		}
	}
	code, out := s.adminCallQuery(c, s.report, q)
	if code != http.StatusOK {
		c.String(code, answerError(out))
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="convrelay-report.csv"`)
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{q.Get("group_by"), "clicks", "pending", "approved", "rejected", "conversions", "revenue", "conversion_rate"})
	rows, _ := out["rows"].([]any)
	for _, r := range rows {
		m, _ := r.(map[string]any)
		_ = w.Write([]string{fmt.Sprint(m["key"]), fmt.Sprint(num(m["clicks"])), fmt.Sprint(num(m["pending"])), fmt.Sprint(num(m["approved"])),
			fmt.Sprint(num(m["rejected"])), fmt.Sprint(num(m["conversions"])), fmt.Sprint(orEmpty(m["revenue"])), fmt.Sprint(orEmpty(m["conversion_rate"]))})
	}
	w.Flush()
}

type testEventView struct {
	Name, Error, Body string
	StatusCode        int
	Delivered         bool
}

// consoleTestDestination sends a sample conversion to a destination (its real
// request, the platform's test event code when given) and shows the answer.
func (s *server) consoleTestDestination(c *gin.Context) {
	d, err := s.Store.GetDestination(c.Request.Context(), consoleAccount(c), atoi64(c.Param("id")))
	if err != nil {
		s.consoleError(c, "destination", err)
		return
	}
	req := map[string]any{}
	if code := strings.TrimSpace(c.PostForm("test_event_code")); code != "" {
		req["test_event_code"] = code
	}
	code, out := s.adminCall(c, s.testDestination, http.MethodPost, gin.Params{{Key: "id", Value: c.Param("id")}}, req)
	res := &testEventView{Name: d.Name}
	if code != http.StatusOK {
		res.Error = answerError(out)
	} else {
		res.Delivered, _ = out["delivered"].(bool)
		res.StatusCode = int(num(out["status_code"]))
		res.Error = fmt.Sprint(orEmpty(out["error"]))
		res.Body = fmt.Sprint(orEmpty(out["body"]))
	}
	s.renderDestinations(c, gin.H{"TestResult": res})
}

// consoleCursor reads a list page's cursor: the id below which rows are shown
// (0, the newest, when absent or not a number).
func consoleCursor(c *gin.Context) int64 {
	n, _ := strconv.ParseInt(c.Query("cursor"), 10, 64)
	return max(n, 0)
}

// consoleNextPage is the link to the rows after lastID, with the same filters.
func consoleNextPage(c *gin.Context, page string, lastID int64) string {
	q := c.Request.URL.Query()
	q.Set("cursor", strconv.FormatInt(lastID, 10))
	return consoleBase + page + "?" + q.Encode()
}
