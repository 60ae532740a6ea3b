package api

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
)

const visitorCookie = "cr_vid"

var macroPattern = regexp.MustCompile(`\{([a-z_0-9]+)\}`)

// fillOfferURL replaces {click_id}, {external_id}, {visitor_id}, {sub1}..{sub10}
// in an offer URL with URL-encoded values: a visitor's value can never add a
// parameter, a fragment or change the host. Unknown macros become empty.
func fillOfferURL(tmpl string, k store.Click) string {
	return macroPattern.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[1 : len(m)-1]
		var v string
		switch name {
		case "click_id", "hit":
			v = k.ID
		case "external_id":
			v = k.ExternalID
		case "visitor_id", "vid":
			v = k.VisitorID
		case "campaign_id":
			if k.CampaignID != nil {
				v = strconv.FormatInt(*k.CampaignID, 10)
			}
		default:
			v = k.Subs[name]
		}
		return url.QueryEscape(v)
	})
}

// fbcFromFBCLID builds Meta's fbc cookie value from a click's fbclid.
func fbcFromFBCLID(fbclid string, at time.Time) string {
	if fbclid == "" {
		return ""
	}
	return "fb.1." + strconv.FormatInt(at.UnixMilli(), 10) + "." + fbclid
}

// clickRedirect is GET /c/{campaign}: it records a hit and redirects (302) to the
// offer with the macros filled. The visitor id comes from vid or the cookie, or is new.
func (s *server) clickRedirect(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("campaign"), 10, 64)
	if err != nil || id <= 0 {
		fail(c, http.StatusNotFound, "unknown campaign")
		return
	}
	cp, err := s.Store.CampaignByID(c.Request.Context(), id)
	if err != nil {
		s.failErr(c, "campaign", err)
		return
	}
	vid := firstNonEmpty(c.Query("vid"), cookie(c, visitorCookie))
	if vid == "" || len(vid) > 64 {
		vid = store.RandomID(16)
	}
	now := time.Now().UTC()
	subs := map[string]string{}
	for i := 1; i <= 10; i++ {
		name := "sub" + strconv.Itoa(i)
		if v := c.Query(name); v != "" {
			subs[name] = limitLen(v, 512)
		}
	}
	k := store.Click{
		AccountID: cp.AccountID, CampaignID: &cp.ID, VisitorID: vid, PageID: limitLen(c.Query("p"), 128),
		ExternalID: limitLen(c.Query("external_id"), 256), FBCLID: limitLen(c.Query("fbclid"), 512),
		GCLID: limitLen(c.Query("gclid"), 512), GBRAID: limitLen(c.Query("gbraid"), 512), WBRAID: limitLen(c.Query("wbraid"), 512),
		TTCLID: limitLen(c.Query("ttclid"), 512), FBP: cookie(c, "_fbp"), FBC: cookie(c, "_fbc"), IP: c.ClientIP(),
		UserAgent: limitLen(c.Request.UserAgent(), 512), Referrer: limitLen(c.Request.Referer(), 1024), Subs: subs, CreatedAt: now,
	}
	if k.FBC == "" {
		k.FBC = fbcFromFBCLID(k.FBCLID, now)
	}
	k, err = s.Store.InsertClick(c.Request.Context(), k)
	if err != nil {
		s.failErr(c, "record click", err)
		return
	}
	s.Metrics.Clicks.Inc()
	http.SetCookie(c.Writer, &http.Cookie{Name: visitorCookie, Value: vid, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	c.Redirect(http.StatusFound, fillOfferURL(cp.OfferURL, k))
}

// createClick is POST /v1/accounts/{account}/clicks, for server-side and CRM flows.
func (s *server) createClick(c *gin.Context) {
	var req struct {
		CampaignID *int64            `json:"campaign_id"`
		ExternalID string            `json:"external_id"`
		VisitorID  string            `json:"visitor_id"`
		PageID     string            `json:"page_id"`
		FBCLID     string            `json:"fbclid"`
		GCLID      string            `json:"gclid"`
		GBRAID     string            `json:"gbraid"`
		WBRAID     string            `json:"wbraid"`
		TTCLID     string            `json:"ttclid"`
		FBP        string            `json:"fbp"`
		FBC        string            `json:"fbc"`
		IP         string            `json:"ip"`
		UserAgent  string            `json:"user_agent"`
		Email      string            `json:"email"`
		RefID      string            `json:"ref_id"`
		Referrer   string            `json:"referrer"`
		Subs       map[string]string `json:"subs"`
	}
	if !bindJSON(c, &req) {
		return
	}
	account := c.Param("account")
	if req.CampaignID != nil {
		if _, err := s.Store.GetCampaign(c.Request.Context(), account, *req.CampaignID); err != nil {
			s.failErr(c, "campaign", err)
			return
		}
	}
	if req.VisitorID == "" {
		req.VisitorID = store.RandomID(16)
	}
	now := time.Now().UTC()
	k := store.Click{AccountID: account, CampaignID: req.CampaignID, VisitorID: req.VisitorID, PageID: req.PageID,
		ExternalID: req.ExternalID, RefID: req.RefID, Email: strings.TrimSpace(req.Email), FBCLID: req.FBCLID, GCLID: req.GCLID,
		GBRAID: req.GBRAID, WBRAID: req.WBRAID, TTCLID: req.TTCLID, FBP: req.FBP, FBC: req.FBC, IP: req.IP,
		UserAgent: req.UserAgent, Referrer: req.Referrer, Subs: req.Subs, CreatedAt: now}
	if k.FBC == "" {
		k.FBC = fbcFromFBCLID(k.FBCLID, now)
	}
	k, err := s.Store.InsertClick(c.Request.Context(), k)
	if err != nil {
		s.failErr(c, "record click", err)
		return
	}
	s.Metrics.Clicks.Inc()
	c.JSON(http.StatusCreated, gin.H{"click_id": k.ID, "visitor_id": k.VisitorID, "fbc": k.FBC, "created_at": k.CreatedAt})
}

// report is GET /v1/accounts/{account}/reports?group_by=campaign|traffic_source|event|day&from=&to=
// (dates as YYYY-MM-DD in the account's time zone; to is inclusive; default the last 30 days).
func (s *server) report(c *gin.Context) {
	group := c.DefaultQuery("group_by", "campaign")
	if !store.ValidReportGroup(group) {
		fail(c, http.StatusBadRequest, "group_by must be campaign, traffic_source, event or day")
		return
	}
	acct, err := s.Store.GetAccount(c.Request.Context(), c.Param("account"))
	if err != nil {
		s.failErr(c, "account", err)
		return
	}
	loc, err := time.LoadLocation(acct.Timezone)
	if err != nil {
		loc = time.UTC
	}
	today := time.Now().In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	from, to := today.AddDate(0, 0, -29), today.AddDate(0, 0, 1)
	if v := c.Query("from"); v != "" {
		if from, err = time.ParseInLocation("2006-01-02", v, loc); err != nil {
			fail(c, http.StatusBadRequest, "from must be a date like 2026-01-31")
			return
		}
	}
	if v := c.Query("to"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			fail(c, http.StatusBadRequest, "to must be a date like 2026-01-31")
			return
		}
		to = t.AddDate(0, 0, 1)
	}
	rows, err := s.Store.Report(c.Request.Context(), acct.ID, group, from, to, loc.String())
	if err != nil {
		s.failErr(c, "report", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"group_by": group, "from": from.Format("2006-01-02"), "to": to.AddDate(0, 0, -1).Format("2006-01-02"),
		"timezone": loc.String(), "rows": rows})
}

func cookie(c *gin.Context, name string) string {
	v, err := c.Cookie(name)
	if err != nil {
		return ""
	}
	return v
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func limitLen(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
