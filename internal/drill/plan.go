package drill

import (
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
)

// step is one postback of a transaction.
type step struct {
	Status  string // pending, approved, rejected
	Value   string // sent as commission
	Disable bool   // disable_postbacks=1
}

// txPlan is one transaction: waves of postbacks (a wave's postbacks are sent
// concurrently, copies times each; the next wave starts once all are accepted)
// and what must come of them.
type txPlan struct {
	ID     string
	Click  string
	Kind   string // label of the mix class, for messages
	Waves  [][]step
	Copies int // identical copies of each postback (1 unless a storm)

	Status   string          // expected final conversion status
	Value    decimal.Decimal // expected final value
	Webhook  []string        // event kinds the webhook must receive once each
	Postback []string        // event kinds the traffic-source postback must receive once each
}

var pendingValue = decimal.RequireFromString("0.01")

// expectation is the independent model of the documented state machine and
// delivery policy (design.md, "Transaction state machine" and "Delivery policy"),
// applied to postbacks in arrival order.
type expectation struct {
	Status            string
	Value             decimal.Decimal
	Webhook, Postback []string
}

func expect(order []step) expectation {
	var e expectation
	e.Value = decimal.Zero
	fired, reversed := false, false
	for _, s := range order {
		apply := false
		switch s.Status {
		case "pending":
			if e.Status == "" {
				e.Status, e.Value, apply = "pending", pendingValue, true
			}
		case "rejected":
			if e.Status != "rejected" {
				e.Status, apply = "rejected", true
			}
		default:
			v := decimal.RequireFromString(s.Value)
			if e.Status != "approved" || !e.Value.Equal(v) {
				e.Status, e.Value, apply = "approved", v, true
			}
		}
		if !apply {
			continue
		}
		if e.Status == "rejected" {
			// Only the webhook is told a conversion was taken back, once.
			if fired && !reversed {
				reversed = true
				if !s.Disable {
					e.Webhook = append(e.Webhook, "reversal")
				}
			}
			continue
		}
		if !fired { // each destination fires once per transaction, on the first recording
			fired = true
			if !s.Disable {
				e.Webhook = append(e.Webhook, "conversion")
				e.Postback = append(e.Postback, "conversion")
			}
		}
	}
	return e
}

// newPlan builds a transaction and its expectation. Within a wave the arrival
// order is unknown, so the expectation must be the same for every order: it is
// computed for each wave in its given and its reversed order, and a plan whose
// outcome would depend on the order is a bug in the drill.
func newPlan(id, click, kind string, copies int, waves ...[]step) txPlan {
	var fwd, rev []step
	for _, w := range waves {
		fwd = append(fwd, w...)
		r := slices.Clone(w)
		slices.Reverse(r)
		rev = append(rev, r...)
	}
	a, b := expect(fwd), expect(rev)
	if a.Status != b.Status || !a.Value.Equal(b.Value) || !slices.Equal(a.Webhook, b.Webhook) || !slices.Equal(a.Postback, b.Postback) {
		panic(fmt.Sprintf("drill plan %s (%s) depends on arrival order within a wave", id, kind))
	}
	return txPlan{ID: id, Click: click, Kind: kind, Waves: waves, Copies: max(copies, 1),
		Status: a.Status, Value: a.Value, Webhook: a.Webhook, Postback: a.Postback}
}

func seq(steps ...step) [][]step {
	waves := make([][]step, len(steps))
	for i, s := range steps {
		waves[i] = []step{s}
	}
	return waves
}

func values(i int) (v1, v2 string) {
	return fmt.Sprintf("%d.%02d", 1+i%97, i%100), fmt.Sprintf("%d.%02d", 100+i%89, (i*7)%100)
}

// mixPlan is transaction i of the steady load: a realistic mix of lifecycles,
// each postback sent after the previous one of its transaction was accepted.
func mixPlan(prefix string, i int, click string) txPlan {
	id := fmt.Sprintf("%s-%06d", prefix, i)
	v, v2 := values(i)
	ap, pe, rj := step{Status: "approved", Value: v}, step{Status: "pending", Value: v}, step{Status: "rejected", Value: v}
	switch k := i % 20; {
	case k < 9:
		return newPlan(id, click, "approved", 1, seq(ap)...)
	case k < 12:
		return newPlan(id, click, "pending>approved", 1, seq(pe, ap)...)
	case k < 14:
		return newPlan(id, click, "pending>approved>rejected", 1, seq(pe, ap, rj)...)
	case k == 14:
		return newPlan(id, click, "approved>new value", 1, seq(ap, step{Status: "approved", Value: v2})...)
	case k == 15:
		return newPlan(id, click, "approved twice", 1, seq(ap, ap)...)
	case k == 16:
		return newPlan(id, click, "disable_postbacks", 1, seq(step{Status: "approved", Value: v, Disable: true})...)
	case k == 17:
		return newPlan(id, click, "approved>rejected>re-approved", 1, seq(ap, rj, ap)...)
	case k == 18:
		return newPlan(id, click, "rejected only", 1, seq(rj)...)
	default:
		return newPlan(id, click, "pending only", 1, seq(pe)...)
	}
}

// stormPlan is transaction i of the storm: every postback sent as copies
// identical requests at once, with statuses arriving out of order (a pending
// racing its approval, a pending arriving after the approval or the rejection).
func stormPlan(prefix string, i int, click string, copies int) txPlan {
	id := fmt.Sprintf("%s-%06d", prefix, i)
	v, v2 := values(i)
	ap, pe, rj := step{Status: "approved", Value: v}, step{Status: "pending", Value: v}, step{Status: "rejected", Value: v}
	switch i % 4 {
	case 0:
		return newPlan(id, click, "pending racing approved", copies, []step{pe, ap})
	case 1:
		return newPlan(id, click, "approved, then late pending", copies, []step{ap}, []step{pe})
	case 2:
		return newPlan(id, click, "pending racing approved, then rejected racing late pending", copies, []step{pe, ap}, []step{rj, pe})
	default:
		return newPlan(id, click, "approved, then new value racing late pending", copies, []step{ap}, []step{step{Status: "approved", Value: v2}, pe})
	}
}

// postbacks is how many accepted postbacks the plan sends.
func (p txPlan) postbacks() int {
	n := 0
	for _, w := range p.Waves {
		n += len(w) * p.Copies
	}
	return n
}
