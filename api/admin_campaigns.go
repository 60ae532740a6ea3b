package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/macro"
	"github.com/convrelay/convrelay/internal/store"
)

type campaignRequest struct {
	Name                  string           `json:"name"`
	OfferURL              string           `json:"offer_url"`
	DefaultPayout         *decimal.Decimal `json:"default_payout"`
	TrafficSource         string           `json:"traffic_source"`
	TrafficSourcePostback string           `json:"traffic_source_postback"`
	AttributionWindowDays int              `json:"attribution_window_days"`
	// Rules for the traffic-source postback (docs/rules.md).
	TrafficSourceFireOn destinations.FireOn      `json:"traffic_source_fire_on"`
	Payout              *destinations.PayoutRule `json:"payout"`
	Caps                []store.Cap              `json:"caps"`
	CapAction           string                   `json:"cap_action"`
}

func validCampaign(c *gin.Context, req campaignRequest) (store.Campaign, bool) {
	if strings.TrimSpace(req.Name) == "" {
		fail(c, http.StatusUnprocessableEntity, "name is required")
		return store.Campaign{}, false
	}
	if !isHTTPURL(req.OfferURL) {
		fail(c, http.StatusUnprocessableEntity, "offer_url must be an http(s) URL")
		return store.Campaign{}, false
	}
	if macro.InAuthority(req.OfferURL) {
		fail(c, http.StatusUnprocessableEntity, "offer_url may hold macros only in its path, query or fragment, not in its scheme or host")
		return store.Campaign{}, false
	}
	if req.TrafficSourcePostback != "" && !isHTTPURL(req.TrafficSourcePostback) {
		fail(c, http.StatusUnprocessableEntity, "traffic_source_postback must be an http(s) URL template")
		return store.Campaign{}, false
	}
	if req.DefaultPayout != nil && req.DefaultPayout.IsNegative() {
		fail(c, http.StatusUnprocessableEntity, "default_payout must not be negative")
		return store.Campaign{}, false
	}
	if req.AttributionWindowDays < 0 || req.AttributionWindowDays > 365 {
		fail(c, http.StatusUnprocessableEntity, "attribution_window_days must be from 1 to 365 (0 means 30)")
		return store.Campaign{}, false
	}
	if req.TrafficSourceFireOn == 0 {
		req.TrafficSourceFireOn = destinations.DefaultFireOn(destinations.TypePostback)
	}
	if err := destinations.ValidateFireOn(destinations.TypePostback, req.TrafficSourceFireOn); err != nil {
		fail(c, http.StatusUnprocessableEntity, "traffic_source_"+err.Error())
		return store.Campaign{}, false
	}
	var payout destinations.PayoutRule
	if req.Payout != nil {
		payout = *req.Payout
	}
	payout = payout.WithDefaults()
	if err := payout.Validate(); err != nil {
		fail(c, http.StatusUnprocessableEntity, err.Error())
		return store.Campaign{}, false
	}
	if msg := validCaps(req.Caps, req.CapAction); msg != "" {
		fail(c, http.StatusUnprocessableEntity, msg)
		return store.Campaign{}, false
	}
	return store.Campaign{AccountID: c.Param("account"), Name: req.Name, OfferURL: req.OfferURL, DefaultPayout: req.DefaultPayout,
		TrafficSource: req.TrafficSource, TrafficSourcePostback: req.TrafficSourcePostback, AttributionWindowDays: req.AttributionWindowDays,
		TrafficSourceFireOn: req.TrafficSourceFireOn, Payout: payout, Caps: req.Caps, CapAction: req.CapAction}, true
}

// validCaps checks a campaign's caps: at most one per event name, each with a
// daily or total limit of at least 0, and the action past them.
func validCaps(caps []store.Cap, action string) string {
	if action != "" && action != store.CapHold && action != store.CapReject {
		return "cap_action must be hold or reject"
	}
	if len(caps) > 20 {
		return "at most 20 caps"
	}
	seen := map[string]bool{}
	for _, cp := range caps {
		ev := strings.TrimSpace(cp.Event)
		if seen[ev] {
			return "caps: one cap per event (\"\" is every event); " + strconv.Quote(ev) + " is repeated"
		}
		seen[ev] = true
		if cp.Daily == nil && cp.Total == nil {
			return "caps: each cap needs daily or total"
		}
		if (cp.Daily != nil && *cp.Daily < 0) || (cp.Total != nil && *cp.Total < 0) {
			return "caps: daily and total must not be negative"
		}
	}
	return ""
}

// isHTTPURL accepts http(s) URLs; macros like {click_id} are allowed in them.
func isHTTPURL(s string) bool {
	u, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(s))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// createCampaign is POST /v1/accounts/{account}/campaigns.
func (s *server) createCampaign(c *gin.Context) {
	var req campaignRequest
	if !bindJSON(c, &req) {
		return
	}
	cp, ok := validCampaign(c, req)
	if !ok {
		return
	}
	out, err := s.Store.CreateCampaign(c.Request.Context(), cp)
	if err != nil {
		s.failErr(c, "create campaign", err)
		return
	}
	c.JSON(http.StatusCreated, s.newAPICampaign(out))
}

// updateCampaign is PUT /v1/accounts/{account}/campaigns/{id}.
func (s *server) updateCampaign(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	var req campaignRequest
	if !bindJSON(c, &req) {
		return
	}
	cp, ok := validCampaign(c, req)
	if !ok {
		return
	}
	cp.ID = id
	out, err := s.Store.UpdateCampaign(c.Request.Context(), cp)
	if err != nil {
		s.failErr(c, "campaign", err)
		return
	}
	c.JSON(http.StatusOK, s.newAPICampaign(out))
}

// getCampaign is GET /v1/accounts/{account}/campaigns/{id}.
func (s *server) getCampaign(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	cp, err := s.Store.GetCampaign(c.Request.Context(), c.Param("account"), id)
	if err != nil {
		s.failErr(c, "campaign", err)
		return
	}
	view := s.newAPICampaign(cp)
	if len(cp.Caps) > 0 {
		if view.CapUsage, err = s.Store.CampaignCapUsage(c.Request.Context(), cp.AccountID, cp.ID); err != nil {
			s.failErr(c, "campaign cap usage", err)
			return
		}
	}
	c.JSON(http.StatusOK, view)
}

// listCampaigns is GET /v1/accounts/{account}/campaigns.
func (s *server) listCampaigns(c *gin.Context) {
	cps, err := s.Store.ListCampaigns(c.Request.Context(), c.Param("account"))
	if err != nil {
		s.failErr(c, "list campaigns", err)
		return
	}
	out := make([]apiCampaign, 0, len(cps))
	for _, cp := range cps {
		out = append(out, s.newAPICampaign(cp))
	}
	c.JSON(http.StatusOK, gin.H{"campaigns": out})
}

// deleteCampaign is DELETE /v1/accounts/{account}/campaigns/{id}.
func (s *server) deleteCampaign(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	if err := s.Store.DeleteCampaign(c.Request.Context(), c.Param("account"), id); err != nil {
		s.failErr(c, "campaign", err)
		return
	}
	c.Status(http.StatusNoContent)
}
