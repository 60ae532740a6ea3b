package workflows

import (
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
)

// Incoming is what the state machine needs of one postback.
type Incoming struct {
	Status        conv.Status
	Value         *decimal.Decimal // as sent; nil when absent
	DefaultPayout *decimal.Decimal // the attributed campaign's, used when no value is sent
	// Mode decides a repeated approval of an approved transaction ("" is
	// ignore, the rule as it always was); see repeatApproval.
	Mode conv.DuplicateMode
	// Currency and EventName are what the postback sent ("" when absent or,
	// for the event, inferred from the value): mode edit compares them.
	Currency  string
	EventName string
}

// Decide applies the transaction state machine to one postback:
//
//	none -> pending | approved | rejected (recorded deleted: no conversion counts)
//	pending -> approved | rejected; approved -> rejected | approved with a new value
//	rejected -> approved (re-approval)
//
// A pending never downgrades an approved or rejected transaction (it arrived late),
// and the same status with the same value again is a duplicate. Pending records the
// 0.01 placeholder revenue; approval takes the sent value, else the value already
// approved, else the campaign's default payout, else zero. An approval of an
// approved transaction is decided by the duplicate mode (repeatApproval).
func Decide(cur conv.State, in Incoming) conv.Decision {
	d := conv.Decision{From: cur.Status, To: in.Status}
	if isApproval(in.Status) && cur.Status == conv.StatusApproved {
		if rd, decided := repeatApproval(cur, in); decided {
			return rd
		}
	}
	switch in.Status {
	case conv.StatusPending:
		d.Value = conv.PendingValue
		switch cur.Status {
		case conv.StatusNone:
			d.Apply = true
		case conv.StatusPending:
			d.Note = "duplicate: already pending"
		default:
			d.Note = "ignored: a pending status never downgrades a " + string(cur.Status) + " conversion"
		}
	case conv.StatusRejected:
		d.Value = cur.Value
		if cur.Status == conv.StatusRejected {
			d.Note = "duplicate: already rejected"
		} else {
			d.Apply = true
		}
	default:
		d.To = conv.StatusApproved
		d.Value = approvedValue(cur, in)
		if cur.Status == conv.StatusApproved && cur.Value.Equal(d.Value) {
			d.Note = "duplicate: already approved at " + d.Value.String()
		} else {
			d.Apply = true
		}
	}
	return d
}

func approvedValue(cur conv.State, in Incoming) decimal.Decimal {
	switch {
	case in.Value != nil:
		return *in.Value
	case cur.Status == conv.StatusApproved:
		return cur.Value
	case in.DefaultPayout != nil:
		return *in.DefaultPayout
	default:
		return decimal.Zero
	}
}

// isApproval: every status but pending and rejected approves (seed 004).
func isApproval(s conv.Status) bool {
	return s != conv.StatusPending && s != conv.StatusRejected
}
