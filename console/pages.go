package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// consoleFailure is what the console shows for a use case's error: its message,
// or, for an internal one (logged here), no detail.
func (s *Console) consoleFailure(err error) string {
	ae := admin.AsError(err)
	if ae.Kind == admin.KindInternal {
		s.Logger.Error("console request failed", "error", err)
	}
	return ae.Message
}

func (s *Console) consoleIntegrationsOf(c *gin.Context) ([]consoleIntegration, error) {
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

func (s *Console) consoleHome(c *gin.Context) {
	ctx := c.Request.Context()
	account := consoleAccount(c)
	p := consolePrincipal(c)
	// The overview shows what the principal may read: a buyer or viewer sees
	// no integrations or postback log.
	var ins []consoleIntegration
	var rows []store.LogEntry
	var failedDel []store.Delivery
	var err error
	if admin.Allowed(p, admin.ActReadSetup) {
		if ins, err = s.consoleIntegrationsOf(c); err != nil {
			s.consoleError(c, "integrations", err)
			return
		}
	}
	if admin.Allowed(p, admin.ActReadPostbacks) && !p.Scoped() {
		if rows, err = s.Admin.ListPostbacks(ctx, account, store.LogFilter{Limit: 200}); err != nil {
			s.consoleError(c, "postback log", err)
			return
		}
	}
	if admin.Allowed(p, admin.ActReadDeliveries) {
		if failedDel, err = s.Admin.ListDeliveries(ctx, account, store.DeliveryFilter{Status: "failed", Limit: 200}); err != nil {
			s.consoleError(c, "deliveries", err)
			return
		}
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

func (s *Console) consoleIntegrations(c *gin.Context) {
	s.renderIntegrations(c, gin.H{})
}

func (s *Console) renderIntegrations(c *gin.Context, data gin.H) {
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

func (s *Console) consoleCreateIntegration(c *gin.Context) {
	slug := strings.TrimSpace(c.PostForm("slug"))
	in, shown, err := s.Admin.CreateIntegration(c.Request.Context(), consoleAccount(c),
		admin.IntegrationRequest{Slug: slug, Preset: c.PostForm("preset")})
	if err != nil {
		s.renderIntegrations(c, gin.H{"Error": "Not created: " + s.consoleFailure(err)})
		return
	}
	s.showToken(c, "Integration created: paste its postback URL into your network.",
		&shownToken{Slug: slug, Token: shown, URLTemplate: admin.PostbackTemplate(s.Config.PublicURL, in, shown)})
}

// showToken renders the integrations page with a token just made, in full:
// this answer is the only place it appears (never in a redirect's URL, and
// the browser is told not to keep the page).
func (s *Console) showToken(c *gin.Context, flash string, t *shownToken) {
	c.Header("Cache-Control", "no-store")
	s.renderIntegrations(c, gin.H{"NewToken": t, "Flash": flash})
}

// consoleRotateToken gives an integration a new token beside its live ones and
// shows it once; the older ones work until revoked, so the network can switch.
func (s *Console) consoleRotateToken(c *gin.Context) {
	slug := c.Param("slug")
	in, t, err := s.Admin.AddIntegrationToken(c.Request.Context(), consoleAccount(c), slug)
	if err != nil {
		s.renderIntegrations(c, gin.H{"Error": "No new token: " + s.consoleFailure(err)})
		return
	}
	s.showToken(c, "New token for "+slug+": put its URL in the network, then revoke the older token.",
		&shownToken{Slug: slug, Rotated: true, Token: t.Secret, URLTemplate: admin.PostbackTemplate(s.Config.PublicURL, in, t.Secret)})
}

// consoleRevokeToken revokes one token of an integration.
func (s *Console) consoleRevokeToken(c *gin.Context) {
	msg := "Token revoked: postbacks carrying it are refused from now on."
	if err := s.Admin.RevokeIntegrationToken(c.Request.Context(), consoleAccount(c), c.Param("slug"), atoi64(c.Param("id"))); err != nil {
		msg = "Not revoked: " + s.consoleFailure(err)
	}
	flashRedirect(c, consoleBase+"/integrations", msg)
}

type testResultView struct {
	Decision, Error, TxKey, Canonical string
	Status                            int
}

func (s *Console) consoleTestPostback(c *gin.Context) {
	req := postback.Request{RawQuery: c.PostForm("query"), Body: []byte(c.PostForm("body"))}
	if b := strings.TrimSpace(c.PostForm("body")); strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[") {
		req.ContentType = "application/json"
	}
	d, err := s.Intake.DryRun(c.Request.Context(), consoleAccount(c), intake.Trial{Integration: c.PostForm("integration")}, req, time.Now())
	res := &testResultView{Decision: "accepted", Status: http.StatusOK}
	if err != nil {
		ie := intake.AsError(err)
		res.Decision, res.Status, res.Error = "rejected", intake.Status(ie.Kind), ie.Message
		if errors.Is(ie.Kind, intake.ErrUnavailable) {
			s.Logger.Error("console test postback", "error", err)
			res.Decision, res.Error = "refused", "temporary failure; try again"
		}
	} else {
		b, _ := json.MarshalIndent(d.Postback, "", "  ")
		res.Canonical, res.TxKey = string(b), d.TxKey
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

func (s *Console) consolePostbacks(c *gin.Context) {
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
	rows, err := s.Admin.ListPostbacks(c.Request.Context(), consoleAccount(c), lf)
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

func (s *Console) consolePostback(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		c.String(http.StatusNotFound, "no such postback")
		return
	}
	e, err := s.Admin.GetPostback(c.Request.Context(), consoleAccount(c), id)
	if err != nil {
		s.consoleError(c, "postback", err)
		return
	}
	s.renderConsole(c, http.StatusOK, "postback", gin.H{"Title": "Postback " + c.Param("id"), "P": newPostbackView(e), "Flash": c.Query("flash")})
}

func (s *Console) consoleRetryPostback(c *gin.Context) {
	msg := "Re-driven: it goes through its workflow again."
	if _, err := s.Admin.RetryPostback(c.Request.Context(), consoleAccount(c), atoi64(c.Param("id"))); err != nil {
		msg = "Not re-driven: " + s.consoleFailure(err)
	}
	flashRedirect(c, consoleBase+"/postbacks/"+c.Param("id"), msg)
}

func (s *Console) consoleConversions(c *gin.Context) {
	f := store.ConversionFilter{TransactionID: c.Query("transaction_id"), Status: c.Query("status"), Limit: 50}
	f.Before = consoleCursor(c)
	rows, err := s.Admin.ListConversions(c.Request.Context(), consoleAccount(c), f)
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

func (s *Console) consoleConversion(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		c.String(http.StatusNotFound, "no such conversion")
		return
	}
	cv, err := s.Admin.GetConversion(c.Request.Context(), consoleAccount(c), id)
	if err != nil {
		s.consoleError(c, "conversion", err)
		return
	}
	s.renderConsole(c, http.StatusOK, "conversion", gin.H{"Title": "Conversion " + c.Param("id"), "C": s.newConversionView(cv), "Flash": c.Query("flash")})
}

func (s *Console) consoleDeliveries(c *gin.Context) {
	ctx := c.Request.Context()
	failed, err := s.Admin.ListDeliveries(ctx, consoleAccount(c), store.DeliveryFilter{Status: "failed", Limit: 100})
	if err != nil {
		s.consoleError(c, "deliveries", err)
		return
	}
	recent, err := s.Admin.ListDeliveries(ctx, consoleAccount(c), store.DeliveryFilter{Limit: 100})
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

func (s *Console) consoleRetryDelivery(c *gin.Context) {
	msg := "Re-driven: the delivery is sent again with the same event id."
	if _, err := s.Admin.RetryDelivery(c.Request.Context(), consoleAccount(c), atoi64(c.Param("id"))); err != nil {
		msg = "Not re-driven: " + s.consoleFailure(err)
	}
	back := c.PostForm("back")
	if !strings.HasPrefix(back, consoleBase+"/") {
		back = consoleBase + "/deliveries"
	}
	flashRedirect(c, back, msg)
}

func (s *Console) consoleCampaigns(c *gin.Context) { s.renderCampaigns(c, gin.H{}) }

func (s *Console) renderCampaigns(c *gin.Context, data gin.H) {
	rows, err := s.Admin.ListCampaigns(c.Request.Context(), consoleAccount(c))
	if err != nil {
		s.consoleError(c, "campaigns", err)
		return
	}
	views := make([]campaignView, 0, len(rows))
	for _, r := range rows {
		v := campaignView{ID: r.ID, Name: r.Name, OfferURL: r.OfferURL, TrackingURL: s.Config.PublicURL + "/c/" + r.Slug,
			TrafficSource: r.TrafficSource, TrafficSourcePostback: r.TrafficSourcePostback}
		if r.DefaultPayout != nil {
			v.Payout = r.DefaultPayout.String()
		}
		views = append(views, v)
	}
	data["Title"], data["Rows"], data["Flash"] = "Campaigns", views, c.Query("flash")
	s.renderConsole(c, http.StatusOK, "campaigns", data)
}

func (s *Console) consoleCreateCampaign(c *gin.Context) {
	req := admin.CampaignRequest{Name: c.PostForm("name"), OfferURL: c.PostForm("offer_url"), TrafficSource: c.PostForm("traffic_source"),
		TrafficSourcePostback: c.PostForm("traffic_source_postback")}
	if p := strings.TrimSpace(c.PostForm("default_payout")); p != "" {
		v, err := decimal.NewFromString(p)
		if err != nil {
			s.renderCampaigns(c, gin.H{"Error": "Not created: default payout must be a number like 12.50"})
			return
		}
		req.DefaultPayout = &v
	}
	if _, err := s.Admin.SaveCampaign(c.Request.Context(), consoleAccount(c), 0, req); err != nil {
		s.renderCampaigns(c, gin.H{"Error": "Not created: " + s.consoleFailure(err)})
		return
	}
	flashRedirect(c, consoleBase+"/campaigns", "Campaign created: use its tracking link in your ads.")
}

func (s *Console) consoleDestinations(c *gin.Context) { s.renderDestinations(c, gin.H{}) }

func (s *Console) renderDestinations(c *gin.Context, data gin.H) {
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
		if c.Query("edit") == strconv.FormatInt(r.ID, 10) {
			edit = v
		}
	}
	if _, ok := data["Edit"]; !ok {
		data["Edit"] = edit
	}
	data["Title"], data["Rows"], data["Types"], data["FireOns"], data["Flash"] = "Destinations", views, destinations.Types,
		destinations.LifeEventNames(), c.Query("flash")
	s.renderConsole(c, http.StatusOK, "destinations", data)
}

func (s *Console) consoleSaveDestination(c *gin.Context) {
	cfg := map[string]string{}
	for _, line := range strings.Split(c.PostForm("config"), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.TrimSpace(k) != "" {
			cfg[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	enabled := c.PostForm("enabled") != "false"
	req := admin.DestinationRequest{Type: c.PostForm("type"), Name: c.PostForm("name"), Config: cfg, Enabled: &enabled}
	if events := c.PostFormArray("fire_on"); len(events) > 0 { // none ticked: the destination type's default
		f, err := destinations.ParseFireOn(strings.Join(events, ","))
		if err != nil {
			s.renderDestinations(c, gin.H{"Error": "Not saved: " + err.Error()})
			return
		}
		req.FireOn = f
	}
	ctx, account := c.Request.Context(), consoleAccount(c)
	var err error
	if id := atoi64(c.PostForm("id")); id > 0 {
		var d store.Destination
		if d, err = s.Store.GetDestination(ctx, account, id); err != nil {
			s.consoleError(c, "destination", err)
			return
		}
		req.Type = d.Type
		_, err = s.Admin.UpdateDestination(ctx, account, id, req)
	} else {
		_, err = s.Admin.CreateDestination(ctx, account, req)
	}
	if err != nil {
		s.renderDestinations(c, gin.H{"Error": "Not saved: " + s.consoleFailure(err)})
		return
	}
	flashRedirect(c, consoleBase+"/destinations", "Destination saved.")
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

type testEventView struct {
	Name, Error, Body string
	StatusCode        int
	Delivered         bool
}

// consoleTestDestination sends a sample conversion to a destination (its real
// request, the platform's test event code when given) and shows the answer.
func (s *Console) consoleTestDestination(c *gin.Context) {
	ctx, account, id := c.Request.Context(), consoleAccount(c), atoi64(c.Param("id"))
	d, err := s.Store.GetDestination(ctx, account, id)
	if err != nil {
		s.consoleError(c, "destination", err)
		return
	}
	res := &testEventView{Name: d.Name}
	out, err := s.Admin.TestDestination(ctx, account, id, admin.TestEvent{TestEventCode: strings.TrimSpace(c.PostForm("test_event_code"))})
	if err != nil {
		res.Error = s.consoleFailure(err)
	} else {
		res.Delivered, res.StatusCode, res.Error, res.Body = out.Delivered, out.StatusCode, out.Error, out.Body
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

// backfillView is a backfill's answer on the console's destinations page.
type backfillView struct {
	Name  string
	Error string
	admin.BackfillResult
}

// consoleBackfill runs a backfill from the destinations page and shows its
// counts there.
func (s *Console) consoleBackfill(c *gin.Context) {
	ctx, account, id := c.Request.Context(), consoleAccount(c), atoi64(c.Param("id"))
	d, err := s.Store.GetDestination(ctx, account, id)
	if err != nil {
		s.consoleError(c, "destination", err)
		return
	}
	view := &backfillView{Name: d.Name}
	days, err := strconv.Atoi(strings.TrimSpace(c.PostForm("days")))
	if err != nil {
		view.Error = "Days must be a whole number."
	} else if view.BackfillResult, err = s.Admin.Backfill(ctx, account, id, days); err != nil {
		view.Error = s.consoleFailure(err)
	}
	s.renderDestinations(c, gin.H{"BackfillResult": view})
}
