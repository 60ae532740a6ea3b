package admin

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/macro"
	"github.com/convrelay/convrelay/internal/store"
)

// CampaignRequest creates or replaces a campaign: its editable settings, as
// the store keeps them and the API shows them (store.CampaignSettings). Rules
// for the traffic-source postback: docs/rules.md.
type CampaignRequest store.CampaignSettings

// SaveCampaign creates a campaign (id 0) or replaces campaign id.
func (s *Service) SaveCampaign(ctx context.Context, account string, id int64, req CampaignRequest) (store.Campaign, error) {
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return store.Campaign{}, err
	}
	cp, err := validCampaign(account, req)
	if err != nil {
		return cp, err
	}
	if id == 0 {
		out, err := s.Store.CreateCampaign(ctx, cp)
		if err != nil {
			return out, fromStore("create campaign", err)
		}
		s.Record(ctx, account, AuditCampaignCreate, target("campaign", out.ID), nil, out)
		return out, nil
	}
	before, err := s.Store.GetCampaign(ctx, account, id)
	if err != nil {
		return before, fromStore("campaign", err)
	}
	cp.ID = id
	out, err := s.Store.UpdateCampaign(ctx, cp)
	if err != nil {
		return out, fromStore("campaign", err)
	}
	s.Record(ctx, account, AuditCampaignUpdate, target("campaign", id), before, out)
	return out, nil
}

// DeleteCampaign removes campaign id.
func (s *Service) DeleteCampaign(ctx context.Context, account string, id int64) error {
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return err
	}
	before, err := s.Store.GetCampaign(ctx, account, id)
	if err != nil {
		return fromStore("campaign", err)
	}
	if err := s.Store.DeleteCampaign(ctx, account, id); err != nil {
		return fromStore("campaign", err)
	}
	s.Record(ctx, account, AuditCampaignDelete, target("campaign", id), before, nil)
	return nil
}

func validCampaign(account string, req CampaignRequest) (store.Campaign, error) {
	switch {
	case strings.TrimSpace(req.Name) == "":
		return store.Campaign{}, Invalid("name", "name is required")
	case !isHTTPURL(req.OfferURL):
		return store.Campaign{}, Invalid("offer_url", "offer_url must be an http(s) URL")
	case macro.InAuthority(req.OfferURL):
		return store.Campaign{}, Invalid("offer_url", "offer_url may hold macros only in its path, query or fragment, not in its scheme or host")
	case req.TrafficSourcePostback != "" && !isHTTPURL(req.TrafficSourcePostback):
		return store.Campaign{}, Invalid("traffic_source_postback", "traffic_source_postback must be an http(s) URL template")
	case req.DefaultPayout != nil && req.DefaultPayout.IsNegative():
		return store.Campaign{}, Invalid("default_payout", "default_payout must not be negative")
	case req.AttributionWindowDays < 0 || req.AttributionWindowDays > 365:
		return store.Campaign{}, Invalid("attribution_window_days", "attribution_window_days must be from 1 to 365 (0 means 30)")
	}
	if req.TrafficSourceFireOn == 0 {
		req.TrafficSourceFireOn = destinations.DefaultFireOn(destinations.TypePostback)
	}
	if err := destinations.ValidateFireOn(destinations.TypePostback, req.TrafficSourceFireOn); err != nil {
		return store.Campaign{}, Invalid("traffic_source_fire_on", "traffic_source_"+err.Error())
	}
	req.Payout = req.Payout.WithDefaults()
	if err := req.Payout.Validate(); err != nil {
		return store.Campaign{}, Invalid("payout", err.Error())
	}
	if msg := validCaps(req.Caps, req.CapAction); msg != "" {
		return store.Campaign{}, Invalid("caps", msg)
	}
	if req.DuplicateMode != "" {
		if err := validDuplicateMode(req.DuplicateMode); err != nil {
			return store.Campaign{}, err
		}
	}
	return store.Campaign{AccountID: account, CampaignSettings: store.CampaignSettings(req)}, nil
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
