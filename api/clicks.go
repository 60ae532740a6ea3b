package api

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/admin"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/macro"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/internal/text"
)

const visitorCookie = "cr_vid"

// fillOfferURL replaces {click_id} (or {hit}), {external_id}, {visitor_id} (or
// {vid}), {campaign_id}, {cost} and {sub1}..{sub10} in an offer URL through the one macro
// engine (internal/macro): a visitor's value can never add a parameter, a path
// segment or a fragment, nor change the host (campaigns refuse macros in the
// scheme and host). Unknown macros become empty.
func fillOfferURL(tmpl string, k store.Click) string {
	return macro.Fill(tmpl, func(name string) string {
		switch name {
		case "click_id", "hit":
			return k.ID
		case "external_id":
			return k.ExternalID
		case "visitor_id", "vid":
			return k.VisitorID
		case "campaign_id":
			if k.CampaignID != nil {
				return strconv.FormatInt(*k.CampaignID, 10)
			}
		case "cost":
			if k.Cost != nil {
				return k.Cost.String()
			}
			return ""
		}
		return k.Subs[name] // sub1..sub10; nothing else is in Subs
	})
}

// validVisitorID is the intake's rule for ids a browser hands back.
func validVisitorID(v string) bool { return intake.SafeID(v) }

// fbcFromFBCLID builds Meta's fbc value (fb.1.<unix ms>.<fbclid>) from a click's fbclid.
func fbcFromFBCLID(fbclid string, at time.Time) string {
	if fbclid == "" {
		return ""
	}
	return "fb.1." + strconv.FormatInt(at.UnixMilli(), 10) + "." + fbclid
}

// clickRedirect is GET /c/{slug}: it records a hit and redirects (302) to the
// offer with the macros filled. The visitor id comes from vid or the cookie, or is
// new; it is set (again) as a cookie so the visitor's later hits share it.
//
// The campaign is named by its random slug, never its numeric id: a number (or
// anything that cannot be a slug) is 404 without a database round trip, so
// campaigns cannot be walked. Each address and each slug has a rate limit.
func (s *server) clickRedirect(c *gin.Context) {
	slug := c.Param("campaign")
	if !validCampaignSlug(slug) {
		fail(c, http.StatusNotFound, "unknown campaign")
		return
	}
	if !s.clicks.allow(c, slug) {
		return
	}
	vid := c.Query("vid")
	if !validVisitorID(vid) {
		vid = cookie(c, visitorCookie)
	}
	if !validVisitorID(vid) {
		vid = store.RandomID(16)
	}
	now := time.Now().UTC()
	subs := map[string]string{}
	for _, name := range conv.SubNames {
		if v := c.Query(name); v != "" {
			subs[name] = limitLen(v, 512)
		}
	}
	k := store.Click{
		PageID: limitLen(c.Query("p"), 128), Subs: subs, CreatedAt: now, Country: clickCountry(c), Cost: clickCost(c.Query("cost")),
		SourceClick: store.SourceClick{
			VisitorID: vid, ExternalID: limitLen(c.Query("external_id"), 256),
			FBCLID: limitLen(c.Query("fbclid"), 512), GCLID: limitLen(c.Query("gclid"), 512), GBRAID: limitLen(c.Query("gbraid"), 512),
			WBRAID: limitLen(c.Query("wbraid"), 512), TTCLID: limitLen(c.Query("ttclid"), 512),
			TTP:        limitLen(firstNonEmpty(c.Query("ttp"), cookie(c, "_ttp")), 512),
			GAClientID: limitLen(firstNonEmpty(destinations.GAClientID(c.Query("ga_client_id")), destinations.GAClientID(c.Query("client_id")), destinations.GAClientID(cookie(c, "_ga"))), 128),
			FBP:        limitLen(firstNonEmpty(c.Query("fbp"), cookie(c, "_fbp")), 512), FBC: limitLen(firstNonEmpty(c.Query("fbc"), cookie(c, "_fbc")), 1024),
			IP: c.ClientIP(), UserAgent: limitLen(c.Request.UserAgent(), 512), Referrer: limitLen(c.Request.Referer(), 1024),
		},
	}
	if k.FBC == "" {
		k.FBC = fbcFromFBCLID(k.FBCLID, now)
	}
	k, offer, err := s.Store.InsertCampaignHit(c.Request.Context(), slug, k)
	if err != nil {
		s.failErr(c, "campaign", err)
		return
	}
	s.Metrics.Clicks.Inc()
	secure := c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https"
	http.SetCookie(c.Writer, &http.Cookie{Name: visitorCookie, Value: vid, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	// Every hit must reach us: no browser or proxy may replay this redirect from a cache.
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, fillOfferURL(offer, k))
}

// createClick is POST /v1/accounts/{account}/clicks, for server-side and CRM flows:
// it records a click without a redirect and answers 201 with its click_id and
// visitor_id (new unless one is sent).
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
		TTP        string            `json:"ttp"`
		GAClientID string            `json:"ga_client_id"`
		FBP        string            `json:"fbp"`
		FBC        string            `json:"fbc"`
		IP         string            `json:"ip"`
		UserAgent  string            `json:"user_agent"`
		Email      string            `json:"email"`
		RefID      string            `json:"ref_id"`
		Referrer   string            `json:"referrer"`
		Subs       map[string]string `json:"subs"`
		Country    string            `json:"country"`
		Cost       json.RawMessage   `json:"cost"`
	}
	if !bindJSON(c, &req) {
		return
	}
	if req.VisitorID != "" && !validVisitorID(req.VisitorID) {
		fail(c, http.StatusUnprocessableEntity, "visitor_id must be up to 64 letters, digits, '-', '_', '.' or '~'")
		return
	}
	if req.IP != "" && net.ParseIP(req.IP) == nil {
		fail(c, http.StatusUnprocessableEntity, "ip must be an IPv4 or IPv6 address")
		return
	}
	subs := map[string]string{}
	for name, v := range req.Subs {
		if !conv.IsSubName(name) {
			fail(c, http.StatusUnprocessableEntity, "subs keys must be sub1 to sub10")
			return
		}
		if v != "" {
			subs[name] = limitLen(v, 512)
		}
	}
	cost, ok := jsonScalar(req.Cost)
	amount, given, err := postback.ParseCost(cost)
	if !ok || err != nil {
		s.answer(c, admin.Invalid("cost", postback.ErrBadCost.Error()))
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
	k := store.Click{AccountID: account, CampaignID: req.CampaignID, PageID: limitLen(req.PageID, 128),
		RefID: limitLen(req.RefID, 256), Email: limitLen(strings.TrimSpace(req.Email), 320), Subs: subs, CreatedAt: now,
		Country: req.Country, SourceClick: store.SourceClick{VisitorID: req.VisitorID, ExternalID: limitLen(req.ExternalID, 256),
			FBCLID: limitLen(req.FBCLID, 512), GCLID: limitLen(req.GCLID, 512), GBRAID: limitLen(req.GBRAID, 512),
			WBRAID: limitLen(req.WBRAID, 512), TTCLID: limitLen(req.TTCLID, 512), FBP: limitLen(req.FBP, 512), FBC: limitLen(req.FBC, 1024),
			TTP: limitLen(req.TTP, 512), GAClientID: limitLen(destinations.GAClientID(req.GAClientID), 128),
			IP: req.IP, UserAgent: limitLen(req.UserAgent, 512), Referrer: limitLen(req.Referrer, 1024)}}
	if given {
		k.Cost = &amount
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
	c.JSON(http.StatusCreated, gin.H{"click_id": k.ID, "visitor_id": k.VisitorID, "fbc": k.FBC, "created_at": k.CreatedAt})
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

// clickCost is a click's cost parameter, in the account's currency: a
// traffic source fills it with its {cost} macro on the tracking link. An empty,
// unfilled or unreadable cost is no cost: a click is never refused for it.
func clickCost(v string) *decimal.Decimal {
	d, ok, err := postback.ParseCost(v)
	if !ok || err != nil {
		return nil
	}
	return &d
}

// limitLen makes outside text storable: escaped and cut at a character (a NUL
// or a stray byte in a click parameter is kept visible, never a 5xx).
func limitLen(s string, n int) string { return text.Storable(s, n) }
