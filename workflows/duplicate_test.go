package workflows

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
)

// TestDecideDuplicateModes: a repeated approval of an approved transaction
// under each duplicate mode; a status change is the state machine's in every mode.
func TestDecideDuplicateModes(t *testing.T) {
	approved10 := conv.State{Status: conv.StatusApproved, Value: *dec("10"), Currency: "EUR", EventName: "Purchase"}
	rebilled := approved10
	rebilled.Rebill = 2
	pending := conv.State{Status: conv.StatusPending, Value: conv.PendingValue}
	rejected := conv.State{Status: conv.StatusRejected, Value: *dec("10")}
	approve := func(mode conv.DuplicateMode, value string) Incoming {
		in := Incoming{Status: conv.StatusApproved, Mode: mode}
		if value != "" {
			in.Value = dec(value)
		}
		return in
	}
	withEvent := approve(conv.DuplicateEdit, "10")
	withEvent.EventName = "Deposit"
	withCurrency := approve(conv.DuplicateEdit, "10")
	withCurrency.Currency = "USD"
	cases := []struct {
		name    string
		cur     conv.State
		in      Incoming
		apply   bool
		newConv bool
		from    conv.Status
		value   string
		noteHas string
	}{
		{"ignore: the same value is a duplicate", approved10, approve(conv.DuplicateIgnore, "10"), false, false, conv.StatusApproved, "10", "duplicate"},
		{"ignore: a new value corrects the old one", approved10, approve(conv.DuplicateIgnore, "20"), true, false, conv.StatusApproved, "20", ""},
		{"no mode is ignore", approved10, approve("", "10"), false, false, conv.StatusApproved, "10", "duplicate"},
		{"add: 10 then 10 is 20", approved10, approve(conv.DuplicateAdd, "10"), true, false, conv.StatusApproved, "20", "10 + 10 = 20"},
		{"add: without a value adds nothing", approved10, approve(conv.DuplicateAdd, ""), false, false, conv.StatusApproved, "10", "nothing to add"},
		{"add: zero adds nothing", approved10, approve(conv.DuplicateAdd, "0"), false, false, conv.StatusApproved, "10", "nothing to add"},
		{"edit: the last value wins", approved10, approve(conv.DuplicateEdit, "7"), true, false, conv.StatusApproved, "7", "last postback wins"},
		{"edit: the same data is a duplicate", approved10, approve(conv.DuplicateEdit, "10"), false, false, conv.StatusApproved, "10", "nothing new"},
		{"edit: a new event name edits", approved10, withEvent, true, false, conv.StatusApproved, "10", "last postback wins"},
		{"edit: a new currency edits", approved10, withCurrency, true, false, conv.StatusApproved, "10", "last postback wins"},
		{"edit: without a value keeps the value", approved10, approve(conv.DuplicateEdit, ""), false, false, conv.StatusApproved, "10", "nothing new"},
		{"new: the same value is a new conversion", approved10, approve(conv.DuplicateNew, "10"), true, true, conv.StatusNone, "10", "conversion 2 of"},
		{"new: numbers after the latest", rebilled, approve(conv.DuplicateNew, "15"), true, true, conv.StatusNone, "15", "conversion 4 of"},
		{"new: without a value is a duplicate", approved10, approve(conv.DuplicateNew, ""), false, false, conv.StatusApproved, "10", "no value"},
		{"new: pending to approved is the same conversion", pending, approve(conv.DuplicateNew, "10"), true, false, conv.StatusPending, "10", ""},
		{"add: pending to approved takes the value, not 0.01 + value", pending, approve(conv.DuplicateAdd, "10"), true, false, conv.StatusPending, "10", ""},
		{"add: a re-approval takes the value", rejected, approve(conv.DuplicateAdd, "5"), true, false, conv.StatusRejected, "5", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.cur, tc.in)
			if d.Apply != tc.apply || d.NewConversion != tc.newConv || d.From != tc.from || d.To != conv.StatusApproved ||
				!d.Value.Equal(decimal.RequireFromString(tc.value)) {
				t.Fatalf("Decide = apply %v new %v from %q to %q value %s (note %q); want apply %v new %v from %q value %s",
					d.Apply, d.NewConversion, d.From, d.To, d.Value, d.Note, tc.apply, tc.newConv, tc.from, tc.value)
			}
			if !strings.Contains(d.Note, tc.noteHas) {
				t.Fatalf("note %q does not say %q", d.Note, tc.noteHas)
			}
		})
	}
	// A rejection and a late pending are the state machine's whatever the mode.
	for _, m := range conv.DuplicateModes {
		if d := Decide(approved10, Incoming{Status: conv.StatusRejected, Mode: m}); !d.Apply || d.To != conv.StatusRejected || d.NewConversion {
			t.Fatalf("mode %s: rejection = %+v", m, d)
		}
		if d := Decide(approved10, Incoming{Status: conv.StatusPending, Mode: m, Value: dec("3")}); d.Apply {
			t.Fatalf("mode %s: a late pending applied: %+v", m, d)
		}
	}
}
