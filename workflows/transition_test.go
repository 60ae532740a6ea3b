package workflows

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
)

func dec(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }

func TestDecide(t *testing.T) {
	approved5 := conv.State{Status: conv.StatusApproved, Value: *dec("5")}
	pending := conv.State{Status: conv.StatusPending, Value: conv.PendingValue}
	rejected := conv.State{Status: conv.StatusRejected, Value: *dec("5")}
	cases := []struct {
		name  string
		cur   conv.State
		in    Incoming
		apply bool
		to    conv.Status
		value string
	}{
		{"none to pending records 0.01", conv.State{}, Incoming{Status: conv.StatusPending, Value: dec("9")}, true, conv.StatusPending, "0.01"},
		{"none to approved at sent value", conv.State{}, Incoming{Status: conv.StatusApproved, Value: dec("4.99")}, true, conv.StatusApproved, "4.99"},
		{"none to approved without value takes default payout", conv.State{}, Incoming{Status: conv.StatusApproved, DefaultPayout: dec("2.5")}, true, conv.StatusApproved, "2.5"},
		{"none to approved without value or payout is zero", conv.State{}, Incoming{Status: conv.StatusApproved}, true, conv.StatusApproved, "0"},
		{"none to rejected creates a deleted record", conv.State{}, Incoming{Status: conv.StatusRejected}, true, conv.StatusRejected, "0"},
		{"pending to approved", pending, Incoming{Status: conv.StatusApproved, Value: dec("4.99")}, true, conv.StatusApproved, "4.99"},
		{"pending to rejected", pending, Incoming{Status: conv.StatusRejected}, true, conv.StatusRejected, "0.01"},
		{"pending again is a duplicate", pending, Incoming{Status: conv.StatusPending}, false, conv.StatusPending, "0.01"},
		{"approved to rejected (reversal)", approved5, Incoming{Status: conv.StatusRejected}, true, conv.StatusRejected, "5"},
		{"approved with a new value", approved5, Incoming{Status: conv.StatusApproved, Value: dec("7")}, true, conv.StatusApproved, "7"},
		{"approved same value is a duplicate", approved5, Incoming{Status: conv.StatusApproved, Value: dec("5.00")}, false, conv.StatusApproved, "5"},
		{"approved again without value keeps value: duplicate", approved5, Incoming{Status: conv.StatusApproved, DefaultPayout: dec("1")}, false, conv.StatusApproved, "5"},
		{"late pending never downgrades approved", approved5, Incoming{Status: conv.StatusPending}, false, conv.StatusPending, "0.01"},
		{"late pending after rejection is ignored", rejected, Incoming{Status: conv.StatusPending}, false, conv.StatusPending, "0.01"},
		{"rejected to approved (re-approval)", rejected, Incoming{Status: conv.StatusApproved, Value: dec("6")}, true, conv.StatusApproved, "6"},
		{"rejected again is a duplicate", rejected, Incoming{Status: conv.StatusRejected}, false, conv.StatusRejected, "5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.cur, tc.in)
			if d.Apply != tc.apply || d.To != tc.to || !d.Value.Equal(decimal.RequireFromString(tc.value)) {
				t.Fatalf("Decide = apply %v to %q value %s (note %q); want apply %v to %q value %s",
					d.Apply, d.To, d.Value, d.Note, tc.apply, tc.to, tc.value)
			}
			if d.From != tc.cur.Status {
				t.Fatalf("From = %q, want %q", d.From, tc.cur.Status)
			}
			if !d.Apply && d.Note == "" {
				t.Fatal("a decision that changes nothing must say why")
			}
		})
	}
}
