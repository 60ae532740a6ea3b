package admin

import (
	"context"
	"slices"

	"github.com/convrelay/convrelay/internal/store"
)

// The reads of the account's records. Each checks the principal's right (the
// rule table), narrows a scoped principal to its campaigns, and masks personal
// data for a principal without the right to see it: the API and the console
// show what these return.

// ListPostbacks lists the postback log, newest first.
func (s *Service) ListPostbacks(ctx context.Context, account string, f store.LogFilter) ([]store.LogEntry, error) {
	p, err := s.authorize(ctx, account, ActReadPostbacks)
	if err != nil {
		return nil, err
	}
	if p.Scoped() {
		return nil, refuse(KindForbidden, "the postback log is not limited to campaigns: a principal scoped to campaigns cannot read it")
	}
	rows, err := s.Store.ListLog(ctx, account, f)
	if err != nil {
		return nil, fromStore("postbacks", err)
	}
	if !p.SeesPersonalData() {
		for i := range rows {
			rows[i] = MaskLogEntry(rows[i])
		}
	}
	return rows, nil
}

// GetPostback loads one row of the postback log.
func (s *Service) GetPostback(ctx context.Context, account string, id int64) (store.LogEntry, error) {
	p, err := s.authorize(ctx, account, ActReadPostbacks)
	if err != nil {
		return store.LogEntry{}, err
	}
	if p.Scoped() {
		return store.LogEntry{}, refuse(KindForbidden, "the postback log is not limited to campaigns: a principal scoped to campaigns cannot read it")
	}
	e, err := s.Store.GetLog(ctx, account, id)
	if err != nil {
		return e, fromStore("postback", err)
	}
	if !p.SeesPersonalData() {
		e = MaskLogEntry(e)
	}
	return e, nil
}

// ListConversions lists conversions, newest first (a scoped principal's campaigns only).
func (s *Service) ListConversions(ctx context.Context, account string, f store.ConversionFilter) ([]store.Conversion, error) {
	p, err := s.authorize(ctx, account, ActReadConversions)
	if err != nil {
		return nil, err
	}
	f.Campaigns = p.Campaigns
	rows, err := s.Store.ListConversions(ctx, account, f)
	if err != nil {
		return nil, fromStore("conversions", err)
	}
	if !p.SeesPersonalData() {
		for i := range rows {
			rows[i] = MaskConversion(rows[i])
		}
	}
	return rows, nil
}

// GetConversion loads one conversion with its history and deliveries; one of a
// campaign outside a scoped principal's is forbidden.
func (s *Service) GetConversion(ctx context.Context, account string, id int64) (store.Conversion, error) {
	p, err := s.authorize(ctx, account, ActReadConversions)
	if err != nil {
		return store.Conversion{}, err
	}
	c, err := s.Store.GetConversion(ctx, account, id)
	if err != nil {
		return c, fromStore("conversion", err)
	}
	if err := inScope(p, c.CampaignID, "conversion"); err != nil {
		return store.Conversion{}, err
	}
	if !p.SeesPersonalData() {
		c = MaskConversion(c)
	}
	return c, nil
}

// ListDeliveries lists deliveries, newest first (a scoped principal's campaigns only).
func (s *Service) ListDeliveries(ctx context.Context, account string, f store.DeliveryFilter) ([]store.Delivery, error) {
	p, err := s.authorize(ctx, account, ActReadDeliveries)
	if err != nil {
		return nil, err
	}
	f.Campaigns = p.Campaigns
	rows, err := s.Store.ListDeliveries(ctx, account, f)
	return rows, fromStore("deliveries", err)
}

// ListCampaigns lists campaigns (a scoped principal's only).
func (s *Service) ListCampaigns(ctx context.Context, account string) ([]store.Campaign, error) {
	p, err := s.authorize(ctx, account, ActReadCampaigns)
	if err != nil {
		return nil, err
	}
	rows, err := s.Store.ListCampaigns(ctx, account)
	if err != nil {
		return nil, fromStore("campaigns", err)
	}
	if p.Scoped() {
		rows = slices.DeleteFunc(rows, func(c store.Campaign) bool { return !slices.Contains(p.Campaigns, c.ID) })
	}
	return rows, nil
}

// GetCampaign loads one campaign (forbidden outside a scoped principal's).
func (s *Service) GetCampaign(ctx context.Context, account string, id int64) (store.Campaign, error) {
	p, err := s.authorize(ctx, account, ActReadCampaigns)
	if err != nil {
		return store.Campaign{}, err
	}
	if err := inScope(p, &id, "campaign"); err != nil {
		return store.Campaign{}, err
	}
	c, err := s.Store.GetCampaign(ctx, account, id)
	return c, fromStore("campaign", err)
}
