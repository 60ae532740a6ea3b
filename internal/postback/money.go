package postback

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// maxMoney bounds amounts: nothing real is this large, and the bound keeps
// hostile exponents from producing huge decimal strings.
var maxMoney = decimal.New(1, 15)

// currencySymbols may wrap an amount ("$4.99", "4,99 €"). They are stripped
// but never turned into a currency: "$" alone does not say which dollar.
const currencySymbols = "$€£¥₹₽₩₺₴₪฿₫₦₱₡₲₵₸₼₾¢"

var errNotDecimal = errors.New("not a decimal number")

// parseDecimal reads an amount conservatively. Accepted: optional sign, one
// currency symbol before or after, digits with one '.' and an optional
// exponent (JSON numbers), or a comma as the decimal separator only when
// there is no dot, exactly one comma and one or two digits after it
// ("4,99"; "1,234" is ambiguous and refused). Never goes through float64.
func parseDecimal(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	sign := ""
	takeSign := func() {
		if sign == "" && s != "" && (s[0] == '-' || s[0] == '+') {
			sign = s[:1]
			s = strings.TrimSpace(s[1:])
		}
	}
	takeSign()
	if r, n := utf8.DecodeRuneInString(s); n > 0 && strings.ContainsRune(currencySymbols, r) {
		s = strings.TrimSpace(s[n:])
	}
	takeSign()
	if r, n := utf8.DecodeLastRuneInString(s); n > 0 && strings.ContainsRune(currencySymbols, r) {
		s = strings.TrimSpace(s[:len(s)-n])
	}
	if strings.Contains(s, ",") {
		whole, frac, _ := strings.Cut(s, ",")
		if strings.ContainsAny(s, ".eE") || strings.Contains(frac, ",") ||
			!allDigits(whole) || !allDigits(frac) || len(frac) > 2 {
			return decimal.Decimal{}, errNotDecimal
		}
		s = whole + "." + frac
	}
	if !isPlainNumber(s) {
		return decimal.Decimal{}, errNotDecimal
	}
	d, err := decimal.NewFromString(sign + s)
	if err != nil {
		return decimal.Decimal{}, errNotDecimal
	}
	if d.Abs().GreaterThanOrEqual(maxMoney) {
		return decimal.Decimal{}, errors.New("out of range")
	}
	return d, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isPlainNumber: digits[.digits] or .digits, then e[+-]d{1,3}.
func isPlainNumber(s string) bool {
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
		}
		if !allDigits(exp) || len(exp) > 3 {
			return false
		}
	}
	whole, frac, dot := strings.Cut(mant, ".")
	if !dot {
		return allDigits(whole)
	}
	return (whole == "" || allDigits(whole)) && (frac == "" && whole != "" || allDigits(frac))
}
