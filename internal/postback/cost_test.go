package postback

import "testing"

// A cost is an amount from 0, rounded to the 6 places stored; an empty or
// unfilled {cost} is no cost; anything else is refused.
func TestParseCost(t *testing.T) {
	for in, want := range map[string]string{"0.35": "0.35", " 1,5 ": "1.5", "$2": "2", "0": "0", "0.00012345678": "0.000123", "1e2": "100"} {
		d, ok, err := ParseCost(in)
		if err != nil || !ok || d.String() != want {
			t.Errorf("ParseCost(%q) = %s %v %v, want %s", in, d, ok, err, want)
		}
	}
	for _, in := range []string{"", "  ", "{cost}", "[COST]", "{{cost}}", "null"} {
		if _, ok, err := ParseCost(in); ok || err != nil {
			t.Errorf("ParseCost(%q) = %v %v, want no cost", in, ok, err)
		}
	}
	for _, in := range []string{"-1", "abc", "1,234", "1e20", "10000000000", "NaN", "0x10"} {
		if _, _, err := ParseCost(in); err == nil {
			t.Errorf("ParseCost(%q) took it", in)
		}
	}
}
