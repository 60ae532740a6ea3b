package destinations

import (
	"testing"

	"github.com/shopspring/decimal"
)

// A 70% rule sends payout=17.5 for a 25 approval; {revenue} stays 25.
func TestPostbackPayoutRules(t *testing.T) {
	rate := decimal.RequireFromString("0.9")
	cases := []struct {
		name    string
		rule    PayoutRule
		value   string
		cur     string
		rate    *decimal.Decimal
		payout  string
		revenue string
		wantCur string
	}{
		{"default is the revenue", PayoutRule{}, "25", "USD", nil, "25", "25", "USD"},
		{"70 percent", PayoutRule{Rule: PayoutPercent, Amount: decimal.NewFromInt(70)}, "25", "USD", nil, "17.5", "25", "USD"},
		{"fixed in the account currency", PayoutRule{Rule: PayoutFixed, Amount: decimal.RequireFromString("4.5")}, "25", "USD", &rate, "4.5", "22.5", "EUR"},
		{"percent in the account currency", PayoutRule{Rule: PayoutPercent, Amount: decimal.NewFromInt(50), Currency: PayoutInAccountCurrency}, "20", "USD", &rate, "9", "18", "EUR"},
		{"account currency, rate unknown", PayoutRule{Currency: PayoutInAccountCurrency}, "20", "USD", nil, "20", "20", "USD"},
		{"account currency equal to the conversion's", PayoutRule{Rule: PayoutPercent, Amount: decimal.NewFromInt(10), Currency: PayoutInAccountCurrency}, "20", "eur", nil, "2", "20", "EUR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, 200, "OK")
			d := postbackDest(f.URL+"/pb?payout={payout}&revenue={revenue}&cur={currency}", "")
			for k, v := range tc.rule.Config() {
				d.Config[k] = v
			}
			if err := Validate(d); err != nil {
				t.Fatal(err)
			}
			c := sampleConversion()
			c.Value, c.Currency, c.AccountCurrency, c.Rate = decimal.RequireFromString(tc.value), tc.cur, "EUR", tc.rate
			if _, de := send(t, d, c); de != nil {
				t.Fatal(de)
			}
			q := f.only(t).Query
			if q.Get("payout") != tc.payout || q.Get("revenue") != tc.revenue || q.Get("cur") != tc.wantCur {
				t.Errorf("payout=%s revenue=%s cur=%s, want %s %s %s", q.Get("payout"), q.Get("revenue"), q.Get("cur"),
					tc.payout, tc.revenue, tc.wantCur)
			}
		})
	}
}

func TestPayoutRuleValidation(t *testing.T) {
	bad := []map[string]string{
		{"payout_rule": "share"},
		{"payout_rule": "percent", "payout_amount": "-1"},
		{"payout_rule": "percent", "payout_amount": "x"},
		{"payout_rule": "fixed", "payout_amount": "3", "payout_currency": "conversion"},
		{"payout_currency": "gbp"},
	}
	for _, cfg := range bad {
		d := postbackDest("https://ts.example/pb?p={payout}", "")
		for k, v := range cfg {
			d.Config[k] = v
		}
		if err := Validate(d); err == nil {
			t.Errorf("config %v accepted", cfg)
		}
	}
}
