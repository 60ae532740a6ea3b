package postback

import (
	"errors"

	"github.com/shopspring/decimal"
)

// maxCost bounds a cost far above anything real, so that the cost converted at
// any rate between ISO currencies still fits what the store keeps (18 whole
// digits).
var maxCost = decimal.New(1, 10)

// ErrBadCost: a cost that is not an amount, negative or too large.
var ErrBadCost = errors.New("cost must be an amount from 0 to 9999999999.999999, like 0.35")

// ParseCost reads a cost (a click's cost parameter, a campaign's cost) the way
// amounts are read (parseDecimal: a currency symbol allowed, "0,35" too),
// rounded to 6 places as it is stored. Empty or an unfilled macro ({cost} that
// a traffic source did not fill) is no cost: ok false, no error.
func ParseCost(v string) (d decimal.Decimal, ok bool, err error) {
	v = clean(v)
	if v == "" {
		return decimal.Decimal{}, false, nil
	}
	d, err = parseDecimal(v)
	if err != nil || d.IsNegative() || d.GreaterThanOrEqual(maxCost) {
		return decimal.Decimal{}, false, ErrBadCost
	}
	return d.Round(6), true, nil
}
