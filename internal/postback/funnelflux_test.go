package postback

import (
	"testing"
)

// Seed 004: hit is a click id, vid + p a visitor and page, tx the
// transaction, rev the revenue.
func TestFunnelFluxNames(t *testing.T) {
	pb := q(t, "hit=H123&tx=T9&rev=12.5")
	if pb.ClickID != "H123" || pb.TransactionID != "T9" || pb.ValueAlias != "rev" || pb.Value.String() != "12.5" {
		t.Errorf("hit form: %+v", pb)
	}
	pb = q(t, "vid=V1&p=P2&tx=T9&rev=3")
	if pb.VisitorID != "V1" || pb.PageID != "P2" || pb.ClickID != "" || pb.MatchKey() != "visitor:V1:P2" {
		t.Errorf("vid form: %+v", pb)
	}
	// The seed's template placeholders are unfilled, not values.
	_, err := Parse(Request{RawQuery: "hit=REPLACE&tx=REPLACE&rev=REPLACE"}, Integration{Preset: "funnelflux"})
	if ve := validationError(t, err); ve.Message != MsgMissingIdentity {
		t.Errorf("REPLACE accepted: %v", err)
	}
	_, err = Parse(Request{RawQuery: "hit={{clickid}}&tx={{transaction}}&rev={{payout}}"}, Integration{Preset: "funnelflux"})
	if ve := validationError(t, err); ve.Message != MsgMissingIdentity {
		t.Errorf("{{macros}} accepted: %v", err)
	}
	// A canonical name beats the FunnelFlux one for the same field.
	pb = q(t, "hit=H&click_id=C&tx=T&transaction_id=TT&rev=1&value=2")
	if pb.ClickID != "C" || pb.TransactionID != "TT" || pb.ValueAlias != "value" {
		t.Errorf("precedence: %+v", pb)
	}
	// The funnelflux preset treats rev as revenue earned (commission).
	pb = mustParse(t, Request{RawQuery: "hit=H&rev=5"}, Integration{Preset: "funnelflux"})
	if pb.ValueAlias != "commission" || pb.EventName != EventPurchase {
		t.Errorf("funnelflux preset rev: %q %q", pb.ValueAlias, pb.EventName)
	}
}

// Seed 004 status words; anything else (or nothing) is approved. Matching
// ignores case and surrounding space; the raw word is kept.
func TestStatusWords(t *testing.T) {
	cases := map[string]Status{
		"pending": StatusPending, "hold": StatusPending, "preapproved": StatusPending,
		"PENDING": StatusPending, " Hold ": StatusPending, "PreApproved": StatusPending,
		"rejected": StatusRejected, "reject": StatusRejected, "trash": StatusRejected, "cancelled": StatusRejected,
		"REJECTED": StatusRejected, "Trash": StatusRejected,
		"approved": StatusApproved, "sale": StatusApproved, "1": StatusApproved, "declined": StatusApproved,
		"whatever": StatusApproved, "": StatusApproved, "{status}": StatusApproved,
	}
	for word, want := range cases {
		pb := q(t, "hit=h&status="+urlEscape(word))
		if pb.Status != want {
			t.Errorf("status %q: %q, want %q", word, pb.Status, want)
		}
		if raw := clean(word); pb.RawStatus != raw {
			t.Errorf("status %q: raw %q", word, pb.RawStatus)
		}
	}
	if pb := q(t, "hit=h&Status=trash"); pb.Status != StatusRejected {
		t.Errorf("Status name variant: %q", pb.Status)
	}
}

// Seed 004 and the design: disable_postbacks (also disable_postback) is true
// for true/1/yes in any case; anything else is false.
func TestDisablePostbacks(t *testing.T) {
	cases := map[string]bool{
		"disable_postbacks=true": true, "disable_postbacks=TRUE": true, "disable_postbacks=1": true,
		"disable_postbacks=yes": true, "disable_postbacks=Yes": true, "disable_postback=true": true,
		"Disable-Postbacks=true": true, "disablepostbacks=1": true, "disable_postbacks=%20true%20": true,
		"disable_postbacks=false": false, "disable_postbacks=0": false, "disable_postbacks=no": false,
		"disable_postbacks=": false, "disable_postbacks={flag}": false, "disable_postbacks=on": false, "": false,
	}
	for query, want := range cases {
		if got := q(t, "hit=h&rev=1&"+query).DisablePostbacks; got != want {
			t.Errorf("%q: %v, want %v", query, got, want)
		}
	}
	pb := jsonBody(t, `{"hit":"h","disable_postbacks":true}`)
	if !pb.DisablePostbacks {
		t.Error("JSON boolean true not read")
	}
	// Seed 004's example URL.
	pb = mustParse(t, Request{RawQuery: "hit=abc&rev=2.10&disable_postbacks=true"}, Integration{Preset: "funnelflux"})
	if !pb.DisablePostbacks || pb.ClickID != "abc" || pb.Value.String() != "2.1" {
		t.Errorf("seed example: %+v", pb)
	}
}

// Seed 004: a rejected status may come with FunnelFlux's "-1". Issue 23: an
// approved negative commission (a revenue-share chargeback) is recorded as
// that negative value, not refused.
func TestNegativeValues(t *testing.T) {
	pb := q(t, "hit=h&rev=-1&status=rejected")
	if pb.Status != StatusRejected || pb.Value.String() != "-1" {
		t.Errorf("rejected with -1: %+v", pb)
	}
	pb = q(t, "hit=h&commission=-12.40&status=approved")
	if pb.Status != StatusApproved || pb.Value == nil || pb.Value.String() != "-12.4" || pb.ValueAlias != "commission" {
		t.Errorf("approved negative commission: %+v", pb)
	}
	// Only a positive commission makes a Purchase.
	if pb.EventName != EventLead {
		t.Errorf("negative commission event %q, want Lead", pb.EventName)
	}
	pb = q(t, "hit=h&rev=-3")
	if pb.Status != StatusApproved || pb.Value.String() != "-3" {
		t.Errorf("negative value without status: %+v", pb)
	}
	if _, err := Parse(Request{RawQuery: "hit=h&rev=-x"}, Integration{}); err == nil {
		t.Error("a malformed negative value must still be refused")
	}
}
