package drill

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Result is what a drill found.
type Result struct {
	Name         string
	Transactions int
	Sent         int            // postbacks answered "accepted"
	Conversions  int            // transactions with exactly one conversion in the expected state and value
	Delivered    map[string]int // per destination: expected conversion events received
	Reversals    int            // expected reversals the webhook received
	Expected     map[string]int // per destination: expected conversion events
	ExpReversals int
	Lost         int            // transactions without a conversion, expected events never received
	Duplicated   int            // extra conversions, events received more than once
	Wrong        int            // a single conversion in the wrong state or value
	Unexpected   int            // events received that no postback should have caused
	Resent       int            // events sent again because a crash hid the destination's answer (same event id)
	ResentBy     map[string]int // Resent per destination type (webhook, postback)
	Problems     []string
	Notes        []string
	Took         time.Duration
}

const maxProblems = 12

func (r *Result) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	} else if len(r.Problems) == maxProblems {
		r.Problems = append(r.Problems, "...")
	}
}

// OK is true when nothing was lost, duplicated, wrong or unexpected and every
// transaction was checked.
func (r Result) OK() bool {
	return r.Transactions > 0 && r.Lost == 0 && r.Duplicated == 0 && r.Wrong == 0 && r.Unexpected == 0 &&
		r.Conversions == r.Transactions && len(r.Problems) == 0
}

// Line is the one-line summary:
// "sent N, conversions N, delivered N per destination, lost 0, duplicated 0".
func (r Result) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sent %d, conversions %d", r.Sent, r.Conversions)
	if r.Conversions != r.Transactions {
		fmt.Fprintf(&b, " of %d transactions", r.Transactions)
	}
	wh, pb := r.Delivered["webhook"], r.Delivered["postback"]
	if wh == pb && wh == r.Expected["webhook"] && pb == r.Expected["postback"] {
		fmt.Fprintf(&b, ", delivered %d per destination", wh)
	} else {
		fmt.Fprintf(&b, ", delivered webhook %d/%d, postback %d/%d", wh, r.Expected["webhook"], pb, r.Expected["postback"])
	}
	if r.ExpReversals > 0 || r.Reversals > 0 {
		if r.Reversals == r.ExpReversals {
			fmt.Fprintf(&b, " (+%d reversals to the webhook)", r.Reversals)
		} else {
			fmt.Fprintf(&b, " (+%d/%d reversals to the webhook)", r.Reversals, r.ExpReversals)
		}
	}
	fmt.Fprintf(&b, ", lost %d, duplicated %d", r.Lost, r.Duplicated)
	if r.Wrong > 0 {
		fmt.Fprintf(&b, ", wrong state %d", r.Wrong)
	}
	if r.Unexpected > 0 {
		fmt.Fprintf(&b, ", unexpected %d", r.Unexpected)
	}
	return b.String()
}

// Report is the summary line followed by notes and problems, indented.
func (r Result) Report() string {
	var b strings.Builder
	status := "ok"
	if !r.OK() {
		status = "FAILED"
	}
	fmt.Fprintf(&b, "%-17s %s  [%s, %s]\n", r.Name, r.Line(), status, r.Took.Round(time.Second))
	if r.Resent > 0 {
		fmt.Fprintf(&b, "    re-sent after a crash hid the destination's answer: %d, each under the event id of the first send\n", r.Resent)
		types := make([]string, 0, len(r.ResentBy))
		for t := range r.ResentBy {
			types = append(types, t)
		}
		sort.Strings(types)
		for _, t := range types {
			if n := r.ResentBy[t]; n > 0 {
				fmt.Fprintf(&b, "      %s: %d (%s)\n", t, n, resendDedup(t))
			}
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "    %s\n", n)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "    ! %s\n", p)
	}
	return b.String()
}

// resendDedup says who drops a crash's re-send to a destination of type t.
// Meta, TikTok, GA4 and Google deduplicate by event or transaction id
// themselves; a webhook receiver and a traffic source see the re-send and
// must drop it by the id it carries.
func resendDedup(t string) string {
	switch t {
	case "webhook":
		return "the receiver sees it twice; it drops the repeat by its webhook-id header"
	case "postback":
		return "the traffic source sees it twice; it drops the repeat only if the template carries {event_id}"
	case "meta", "tiktok":
		return "the platform drops it by event_id"
	case "ga4":
		return "GA4 drops it by transaction_id"
	case "google_ads":
		return "Google drops it by order id / transactionId"
	}
	return "same event id"
}
