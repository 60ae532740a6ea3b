package destinations

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// A traffic source is told what it earns for a conversion ({payout}), which
// need not be what the network pays ({revenue}): a share of it, or a fixed
// amount per event. A campaign sets the rule; it travels in its
// traffic-source destination's config (payout_rule, payout_amount,
// payout_currency), so a hand-made postback destination can carry one too.

// Payout rules.
const (
	PayoutRevenue = "revenue" // {payout} is the revenue (the default)
	PayoutPercent = "percent" // {payout} is Amount percent of the revenue
	PayoutFixed   = "fixed"   // {payout} is Amount per event, in the account's currency
)

// Payout currencies: the one {payout}, {revenue} and {currency} are in.
const (
	PayoutInConversionCurrency = "conversion" // as the network sent it (the default)
	PayoutInAccountCurrency    = "account"    // converted at the conversion's rate
)

// PayoutRule is what a traffic source is told it earns.
type PayoutRule struct {
	Rule     string          `json:"rule"`     // revenue (default), percent or fixed
	Amount   decimal.Decimal `json:"amount"`   // the percentage, or the fixed amount
	Currency string          `json:"currency"` // conversion (default) or account; fixed is always account
}

// WithDefaults fills an unset rule and currency.
func (r PayoutRule) WithDefaults() PayoutRule {
	if r.Rule == "" {
		r.Rule = PayoutRevenue
	}
	if r.Currency == "" {
		r.Currency = PayoutInConversionCurrency
		if r.Rule == PayoutFixed {
			r.Currency = PayoutInAccountCurrency
		}
	}
	if r.Rule == PayoutRevenue {
		r.Amount = decimal.Zero
	}
	return r
}

// Validate refuses a rule that cannot be applied.
func (r PayoutRule) Validate() error {
	switch r.Rule {
	case PayoutRevenue:
	case PayoutPercent:
		if r.Amount.IsNegative() || r.Amount.GreaterThan(decimal.NewFromInt(1000)) {
			return errors.New("payout: a percent rule's amount must be from 0 to 1000")
		}
	case PayoutFixed:
		if r.Amount.IsNegative() {
			return errors.New("payout: a fixed amount must not be negative")
		}
		if r.Currency != PayoutInAccountCurrency {
			return errors.New("payout: a fixed amount is in the account's currency (currency account)")
		}
	default:
		return fmt.Errorf("payout: rule must be revenue, percent or fixed, not %q", r.Rule)
	}
	if r.Currency != PayoutInConversionCurrency && r.Currency != PayoutInAccountCurrency {
		return fmt.Errorf("payout: currency must be conversion or account, not %q", r.Currency)
	}
	return nil
}

// Config is the rule as destination config keys; the revenue rule in the
// conversion's currency (what a postback always sent) writes none.
func (r PayoutRule) Config() map[string]string {
	r = r.WithDefaults()
	out := map[string]string{}
	if r.Rule != PayoutRevenue {
		out["payout_rule"], out["payout_amount"] = r.Rule, r.Amount.String()
	}
	if r.Currency != PayoutInConversionCurrency {
		out["payout_currency"] = r.Currency
	}
	return out
}

// payoutRuleOf reads a destination's rule; a malformed amount (the config is
// validated when written) counts as zero.
func payoutRuleOf(d Destination) PayoutRule {
	r := PayoutRule{Rule: d.cfg("payout_rule"), Currency: d.cfg("payout_currency")}
	if a, err := decimal.NewFromString(d.cfg("payout_amount")); err == nil {
		r.Amount = a
	}
	return r.WithDefaults()
}

// validatePayoutConfig checks the payout keys of a postback destination's config.
func validatePayoutConfig(d Destination) error {
	if d.cfg("payout_rule") == "" && d.cfg("payout_currency") == "" {
		return nil
	}
	if a := d.cfg("payout_amount"); a != "" {
		if _, err := decimal.NewFromString(a); err != nil {
			return fmt.Errorf("payout_amount %q is not a number", a)
		}
	}
	return payoutRuleOf(d).Validate()
}

// Money is what a traffic source is told: {payout} in Currency, and
// {revenue} in RevenueCurrency (the same, except under a fixed rule while the
// conversion's rate to the account's currency is not known).
type Money struct {
	Payout          decimal.Decimal
	Currency        string
	Revenue         decimal.Decimal
	RevenueCurrency string
}

// PayoutOf applies the destination's rule to the conversion. In the account's
// currency the revenue is converted at the conversion's rate; while that rate
// is not known it stays in the conversion's currency (and {currency} says
// so). A fixed amount is in the account's currency.
func PayoutOf(d Destination, c Conversion) Money {
	r := payoutRuleOf(d)
	revenue, revCur := c.Value, upperASCII(c.Currency)
	if (r.Currency == PayoutInAccountCurrency || r.Rule == PayoutFixed) && c.AccountCurrency != "" {
		switch {
		case upperASCII(c.AccountCurrency) == revCur:
		case c.Rate != nil:
			revenue, revCur = c.Value.Mul(*c.Rate).Round(6), upperASCII(c.AccountCurrency)
		}
	}
	m := Money{Revenue: revenue, RevenueCurrency: revCur, Payout: revenue, Currency: revCur}
	switch r.Rule {
	case PayoutPercent:
		m.Payout = revenue.Mul(r.Amount).Div(decimal.NewFromInt(100)).Round(6)
	case PayoutFixed:
		m.Payout = r.Amount
		if c.AccountCurrency != "" {
			m.Currency = upperASCII(c.AccountCurrency)
		}
	}
	return m
}
