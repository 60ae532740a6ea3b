package intake

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
)

// TestBrowserConflict: a browser may create a transaction or repeat an
// approved one as it stands; it never approves a rejected one, moves a
// pending one, or changes a value.
func TestTagConflict(t *testing.T) {
	ten, twenty := decimal.NewFromInt(10), decimal.NewFromInt(20)
	for _, c := range []struct {
		name string
		st   conv.State
		val  *decimal.Decimal
		ok   bool
	}{
		{"new", conv.State{}, &ten, true},
		{"rejected", conv.State{Status: conv.StatusRejected, Value: ten}, &ten, false},
		{"pending", conv.State{Status: conv.StatusPending, Value: decimal.RequireFromString("0.01")}, &ten, false},
		{"approved, other value", conv.State{Status: conv.StatusApproved, Value: ten}, &twenty, false},
		{"approved, same value", conv.State{Status: conv.StatusApproved, Value: ten}, &ten, true},
		{"approved, no value", conv.State{Status: conv.StatusApproved, Value: ten}, nil, true},
	} {
		msg := conv.TagConflict(c.st, c.val)
		if (msg == "") != c.ok {
			t.Errorf("%s: %q, want ok=%v", c.name, msg, c.ok)
		}
	}
}
