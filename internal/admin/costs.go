package admin

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// CostRequest is a campaign's cost for a day or one hour of it, as text: the
// JSON API and the CSV import of costs give the same fields.
type CostRequest struct {
	Campaign string // the campaign's id
	Date     string // YYYY-MM-DD in the account's time zone
	Hour     string // empty: the whole day; 0 to 23: that hour of the local day
	Cost     string // an amount from 0, in Currency
	Currency string // ISO 4217; empty: the account's
}

// SetCost records a campaign's cost for a day or an hour, converted into the
// account's currency like a conversion's revenue (the reference rate of the
// period's date), and spreads it over the campaign's clicks of that period,
// replacing their own costs and a cost posted before for the same period.
// Reports then show it by every dimension a click has. A period overlapping
// another one's (an hour of a day that has a cost, or the reverse) is a conflict.
func (s *Service) SetCost(ctx context.Context, account string, req CostRequest) (store.Cost, error) {
	p, err := s.authorize(ctx, account, ActImport)
	if err != nil {
		return store.Cost{}, err
	}
	acct, err := s.Accounts.Account(ctx, account)
	if err != nil {
		return store.Cost{}, fromStore("account", err)
	}
	c, before, err := s.setCost(ctx, p, acct, req)
	if err != nil {
		return c, err
	}
	var old any
	if before != nil {
		old = costAudit(*before)
	}
	s.Record(ctx, account, AuditCostSet, target("campaign", c.CampaignID), old, costAudit(c))
	return c, nil
}

// setCost validates and stores one cost (authorization and audit are the caller's).
func (s *Service) setCost(ctx context.Context, p Principal, acct store.Account, req CostRequest) (store.Cost, *store.Cost, error) {
	c, err := validCost(acct, req)
	if err != nil {
		return c, nil, err
	}
	if p.Scoped() && !p.InScope(&c.CampaignID) {
		return c, nil, refuse(KindForbidden, "campaign "+strconv.FormatInt(c.CampaignID, 10)+" is outside your scope")
	}
	out, before, err := s.Store.SetCost(ctx, c)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return c, nil, Invalid("campaign_id", "campaign "+strconv.FormatInt(c.CampaignID, 10)+" is not a campaign of this account")
	case errors.Is(err, store.ErrNoRate):
		return c, nil, Invalid("currency", "no exchange rate from "+c.Currency+" to "+acct.Currency+" is known yet")
	case errors.Is(err, store.ErrCostOverlap):
		return c, nil, &Error{Kind: KindConflict, Field: "hour", Message: "this period overlaps one that has a cost already " +
			"(a day and its hours cannot both have one): post the same period again to replace it"}
	case err != nil:
		return c, nil, fromStore("cost", err)
	}
	return out, before, nil
}

// validCost reads a cost request into the period and amount to store.
func validCost(acct store.Account, req CostRequest) (store.Cost, error) {
	c := store.Cost{AccountID: acct.ID}
	id, err := strconv.ParseInt(strings.TrimSpace(req.Campaign), 10, 64)
	if err != nil || id <= 0 {
		return c, Invalid("campaign_id", "campaign_id must be a campaign's id, like 12")
	}
	c.CampaignID = id
	loc, err := time.LoadLocation(acct.Timezone)
	if err != nil {
		loc = time.UTC // settings validate the zone; an old row may predate that
	}
	day, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(req.Date), loc)
	if err != nil {
		return c, Invalid("date", "date must be a day like 2026-01-31, in the account's time zone ("+loc.String()+")")
	}
	c.Start, c.End = day, day.AddDate(0, 0, 1)
	if h := strings.TrimSpace(req.Hour); h != "" {
		n, err := strconv.Atoi(h)
		if err != nil || n < 0 || n > 23 {
			return c, Invalid("hour", "hour must be 0 to 23 (an hour of the local day), or left out for the whole day")
		}
		c.Start = time.Date(day.Year(), day.Month(), day.Day(), n, 0, 0, 0, loc)
		if c.Start.Hour() != n {
			return c, Invalid("hour", "hour "+h+" does not exist on "+req.Date+" in "+loc.String()+" (the clocks skip it)")
		}
		c.End = c.Start.Add(time.Hour)
	}
	amount, ok, err := postback.ParseCost(req.Cost)
	switch {
	case err != nil:
		return c, Invalid("cost", postback.ErrBadCost.Error())
	case !ok:
		return c, Invalid("cost", "cost is required: an amount like 12.50")
	}
	c.Amount = amount
	c.Currency = strings.ToUpper(strings.TrimSpace(req.Currency))
	if c.Currency == "" {
		c.Currency = acct.Currency
	}
	if !postback.IsCurrency(c.Currency) {
		return c, Invalid("currency", "currency must be an ISO 4217 code like EUR, not "+intake.Quote(req.Currency))
	}
	return c, nil
}

// costAudit is a cost as the audit log shows it.
func costAudit(c store.Cost) map[string]any {
	return map[string]any{"campaign_id": c.CampaignID, "period_start": c.Start, "period_end": c.End, "cost": c.Amount,
		"currency": c.Currency, "cost_account": c.AmountAccount, "account_currency": c.AccountCurrency, "clicks": c.Clicks}
}
