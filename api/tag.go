package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/ratelimit"
	"github.com/convrelay/convrelay/internal/store"
	"github.com/convrelay/convrelay/internal/tagjs"
	"github.com/convrelay/convrelay/internal/tracing"
)

// The first-party tag (docs/tag.md): GET /t.js and the browser endpoints
// POST /{account}/t/hit and /{account}/t/conversion. They take no secret, so
// they are bounded by the account's allowed origins (CORS), by limits per
// address, per account and per visitor, by the events the account lets a
// browser send, and by the intake's browser door, which never lets a browser
// change what a network reported.

// Browser endpoint bounds. A real visitor loads a few pages and converts once
// or twice; a page looping on the endpoints runs into these long before it
// can fill anything.
const (
	tagIPRPS            = 10
	tagIPBurst          = 40
	tagVisitorHitRPS    = 2
	tagVisitorHitBurst  = 30
	tagVisitorConvRPS   = 0.1 // one conversion every 10 s per visitor...
	tagVisitorConvBurst = 5   // ...after the first five
	tagBodyBytes        = 16 << 10
)

type tagLimits struct {
	perIP, perAccount, visitorHits, visitorConversions *keyedLimiters
}

func (s *server) newTagLimits() *tagLimits {
	return &tagLimits{
		perIP:              newKeyedLimiters(tagIPRPS, tagIPBurst),
		perAccount:         newKeyedLimiters(s.Config.RateLimitAccountRPS, s.Config.RateLimitAccountBurst),
		visitorHits:        newKeyedLimiters(tagVisitorHitRPS, tagVisitorHitBurst),
		visitorConversions: newKeyedLimiters(tagVisitorConvRPS, tagVisitorConvBurst),
	}
}

func wait(k *keyedLimiters, key string, now time.Time) time.Duration {
	if k == nil {
		return 0
	}
	return k.Reserve(key, now)
}

// tagScript is GET /t.js. With ?v=<version> it may be cached for a year (the
// version changes with the script); without, for an hour, revalidated by ETag.
func (s *server) tagScript(c *gin.Context) {
	etag := `"` + tagjs.Version + `"`
	h := c.Writer.Header()
	h.Set("ETag", etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("X-Tag-Version", tagjs.Version)
	if c.Query("v") == tagjs.Version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=3600")
	}
	if inm := c.GetHeader("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		c.Status(http.StatusNotModified)
		return
	}
	body := tagjs.Script()
	if strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = tagjs.Gzipped()
	}
	c.Data(http.StatusOK, "application/javascript; charset=utf-8", body)
}

// tagGate runs first on every browser endpoint: the address limit, the
// account, the Origin against the account's list (CORS headers only for an
// allowed one; a preflight is answered here). It leaves the settings in the
// context for the handler.
func (s *server) tagGate(c *gin.Context) {
	now := time.Now()
	c.Header("Vary", "Origin")
	c.Header("Cache-Control", "no-store")
	if w := wait(s.tag.perIP, ratelimit.AddrKey(c.ClientIP()), now); w > 0 {
		tooMany(c, w, "too many requests from this address")
		return
	}
	account := c.Param("account")
	if !intake.PlausibleName(account) {
		c.AbortWithStatusJSON(http.StatusNotFound, gin.H{"status": "rejected", "error": "unknown account"})
		return
	}
	set, err := s.Accounts.TagSettings(c.Request.Context(), account)
	if err != nil {
		if store.IsNotFound(err) {
			c.AbortWithStatusJSON(http.StatusNotFound, gin.H{"status": "rejected", "error": "unknown account"})
			return
		}
		s.Logger.Error("tag settings", "account_id", account, "error", err)
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"status": "error", "error": "temporary failure; retry later"})
		return
	}
	origin := c.GetHeader("Origin")
	norm, ok := admin.NormalizeOrigin(origin)
	if origin == "" || !ok || !slices.Contains(set.Origins, norm) {
		// No Access-Control-Allow-Origin: the browser hides the answer from
		// the page, and a preflight fails before the POST is sent.
		s.Logger.Info("tag request from an origin not allowed", "account_id", account, "origin", limitLen(origin, 256))
		c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"status": "rejected", "error": "origin not allowed for this account"})
		return
	}
	c.Header("Access-Control-Allow-Origin", origin)
	if c.Request.Method == http.MethodOptions {
		c.Header("Access-Control-Allow-Methods", "POST, OPTIONS")
		c.Header("Access-Control-Allow-Headers", "Content-Type")
		c.Header("Access-Control-Max-Age", "600")
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	if w := wait(s.tag.perAccount, account, now); w > 0 {
		tooMany(c, w, "too many requests for this account")
		return
	}
	c.Set("tag_settings", set)
	c.Next()
}

// tagHitRequest is what t.js posts on page load.
type tagHitRequest struct {
	URL     string `json:"url"`
	Ref     string `json:"ref"`
	Vid     string `json:"vid"`
	P       string `json:"p"`
	Consent string `json:"consent"`
	FBP     string `json:"fbp"`
	FBC     string `json:"fbc"`
	GA      string `json:"ga"`
	TTP     string `json:"ttp"`
}

// tagHit is POST /{account}/t/hit: it records a click (a hit) as the click
// redirect does, from the page URL's campaign parameters and the browser's
// ids, and answers the visitor id, the hit id and the AutoTag rules.
func (s *server) tagHit(c *gin.Context) {
	set := c.MustGet("tag_settings").(store.TagSettings)
	var req tagHitRequest
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, tagBodyBytes)
	if err := c.ShouldBindJSON(&req); err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"status": "rejected", "error": "body must be a JSON object"})
		return
	}
	vid := req.Vid
	if !validVisitorID(vid) {
		vid = store.RandomID(16)
	}
	now := time.Now().UTC()
	account := c.Param("account")
	if w := wait(s.tag.visitorHits, account+"/"+vid, now); w > 0 {
		tooMany(c, w, "too many hits from this visitor")
		return
	}
	page, _ := url.Parse(req.URL)
	var q url.Values
	if page != nil {
		q = page.Query()
	}
	subs := map[string]string{}
	for _, name := range conv.SubNames {
		if v := q.Get(name); v != "" {
			subs[name] = limitLen(v, 512)
		}
	}
	k := store.Click{
		AccountID: account, PageID: limitLen(firstNonEmpty(req.P, q.Get("p")), 128),
		Subs: subs, CreatedAt: now, Country: clickCountry(c),
		SourceClick: store.SourceClick{
			VisitorID: vid, ExternalID: limitLen(q.Get("external_id"), 256),
			FBCLID: limitLen(q.Get("fbclid"), 512), GCLID: limitLen(q.Get("gclid"), 512), GBRAID: limitLen(q.Get("gbraid"), 512),
			WBRAID: limitLen(q.Get("wbraid"), 512), TTCLID: limitLen(q.Get("ttclid"), 512),
			FBP: limitLen(req.FBP, 512), FBC: limitLen(req.FBC, 1024),
			TTP: limitLen(req.TTP, 256), GAClientID: destinations.GAClientID(req.GA),
			IP: c.ClientIP(), UserAgent: limitLen(c.Request.UserAgent(), 512), Referrer: limitLen(req.Ref, 1024),
		},
	}
	if k.FBC == "" {
		k.FBC = fbcFromFBCLID(k.FBCLID, now)
	}
	consent := req.Consent
	if consent != "granted" && consent != "denied" {
		consent = ""
	}
	k, err := s.Store.InsertTagHit(c.Request.Context(), k, store.TagHit{Consent: consent, PageURL: limitLen(req.URL, 2048)})
	if err != nil {
		s.Logger.Error("tag hit not recorded", "account_id", account, "error", err)
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"status": "error", "error": "temporary failure; retry later"})
		return
	}
	s.Metrics.Clicks.Inc()
	// A landing: the page was reached from an ad or an offer link. track()
	// converts the latest landing unless told otherwise.
	landing := k.PageID != "" || len(subs) > 0 || k.FBCLID != "" || k.GCLID != "" || k.GBRAID != "" || k.WBRAID != "" ||
		k.TTCLID != "" || k.ExternalID != ""
	rules := set.OfferDomains
	if rules == nil {
		rules = []store.OfferDomain{}
	}
	c.JSON(http.StatusOK, gin.H{"status": "recorded", "vid": vid, "hit": k.ID, "landing": landing, "autotag": rules})
}

// tagConversion is POST /{account}/t/conversion: the browser conversion,
// through the intake pipeline's browser door.
func (s *server) tagConversion(c *gin.Context) {
	set := c.MustGet("tag_settings").(store.TagSettings)
	now := time.Now()
	body, readErr := readLimited(c, tagBodyBytes)
	account := c.Param("account")
	if readErr != nil {
		c.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, gin.H{"status": "rejected", "error": "body too large"})
		return
	}
	live, err := s.intake.AcceptBrowser(c.Request.Context(), intake.BrowserConversion{
		AccountID: account, Body: body, Path: c.Request.URL.Path, SourceIP: c.ClientIP(),
		UserAgent: limitLen(c.Request.UserAgent(), 512), Events: set.Events,
		TraceParent: tracing.Inject(c.Request.Context()), ReceivedAt: now,
	}, func(string) error {
		// The visitor's cap: charged once the body names a visitor (or the address does).
		key := account + "/" + visitorOf(body, c.ClientIP())
		if w := wait(s.tag.visitorConversions, key, now); w > 0 {
			return &intake.Error{Kind: intake.ErrTooMany, Message: "too many conversions from this visitor", RetryAfter: w}
		}
		return nil
	})
	s.answerAccept(c, live, now, err, func(live *intake.Live, answer gin.H) {
		answer["event_id"] = live.Decision.Postback.EventID
	})
}

// visitorOf is the key of a conversion's per-visitor cap: the vid it names,
// or its address when it names none.
func visitorOf(body []byte, ip string) string {
	var v struct {
		Vid string `json:"vid"`
	}
	if json.Unmarshal(body, &v) == nil && validVisitorID(v.Vid) {
		return v.Vid
	}
	return "ip:" + ip
}

func readLimited(c *gin.Context, n int64) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, n))
}

// tagSettingsView is the tag settings as the admin API shows and takes them.
type tagSettingsView struct {
	Origins      []string            `json:"origins"`
	Events       []string            `json:"events"`
	OfferDomains []store.OfferDomain `json:"offer_domains"`
	Snippet      string              `json:"snippet,omitempty"`
}

func (s *server) viewTag(c *gin.Context, t store.TagSettings) tagSettingsView {
	v := tagSettingsView{Origins: t.Origins, Events: t.Events, OfferDomains: t.OfferDomains}
	if v.Origins == nil {
		v.Origins = []string{}
	}
	if v.Events == nil {
		v.Events = []string{}
	}
	if v.OfferDomains == nil {
		v.OfferDomains = []store.OfferDomain{}
	}
	base := strings.TrimRight(s.Config.PublicURL, "/")
	v.Snippet = `<script src="` + base + `/t.js?v=` + tagjs.Version + `" data-account="` + c.Param("account") + `" async></script>`
	return v
}

// getTagSettings is GET /v1/accounts/{account}/tag.
func (s *server) getTagSettings(c *gin.Context) {
	t, err := s.admin.TagSettings(c.Request.Context(), c.Param("account"))
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusOK, s.viewTag(c, t))
}

// putTagSettings is PUT /v1/accounts/{account}/tag: the whole settings.
func (s *server) putTagSettings(c *gin.Context) {
	var req tagSettingsView
	if !bindJSON(c, &req) {
		return
	}
	t, err := s.admin.SetTagSettings(c.Request.Context(), c.Param("account"),
		store.TagSettings{Origins: req.Origins, Events: req.Events, OfferDomains: req.OfferDomains})
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusOK, s.viewTag(c, t))
}
