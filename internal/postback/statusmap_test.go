package postback

import (
	"strings"
	"testing"
)

// An integration's status_map reads its network's own words and codes
// before the preset: Affise's 1/2/3/5 stay, its 9 becomes a chargeback.
func TestStatusMapOnTopOfThePreset(t *testing.T) {
	integ := Integration{Preset: "affise", StatusMap: map[string]string{"9": "rejected", "Billed": "approved", "On Hold": "pending", "3": "pending"}}
	for raw, want := range map[string]Status{
		"9": StatusRejected, "billed": StatusApproved, "BILLED": StatusApproved, "on_hold": StatusPending,
		"3": StatusPending, // the map wins over the preset's 3 = declined
		"2": StatusPending, "1": StatusApproved, "reversed": StatusRejected, "": StatusApproved,
	} {
		pb := mustParse(t, Request{RawQuery: "sub1=c1&status=" + raw}, integ)
		if pb.Status != want {
			t.Errorf("status %q read as %q, want %q", raw, pb.Status, want)
		}
	}
	if pb := mustParse(t, Request{RawQuery: "sub1=c1&status=9"}, integ); pb.StatusSource != StatusFromMap || pb.RawStatus != "9" {
		t.Errorf("status 9: source %q raw %q, want status_map 9", pb.StatusSource, pb.RawStatus)
	}
	if pb := mustParse(t, Request{RawQuery: "sub1=c1&status=2"}, integ); pb.StatusSource != StatusFromPreset {
		t.Errorf("status 2: source %q, want preset", pb.StatusSource)
	}
}

// ignore refuses the postback with the reason: nothing is recorded.
func TestStatusMapIgnore(t *testing.T) {
	_, err := Parse(Request{RawQuery: "click_id=c1&status=test"}, Integration{StatusMap: map[string]string{"TEST": "ignore"}})
	ve := validationError(t, err)
	if ve.Field != "status" || !strings.Contains(ve.Message, `"test" is ignored`) {
		t.Errorf("ignore: %q %q", ve.Field, ve.Message)
	}
}

// An unknown word is approved (seed 004) unless the integration rejects
// unknown statuses; words of the common vocabularies stay known.
func TestUnknownStatusChoice(t *testing.T) {
	approve := Integration{}
	reject := Integration{UnknownStatus: UnknownStatusReject}
	if pb := mustParse(t, Request{RawQuery: "click_id=c1&status=weird"}, approve); pb.Status != StatusApproved || pb.StatusSource != StatusFromUnknown {
		t.Errorf("approve: %q from %q", pb.Status, pb.StatusSource)
	}
	_, err := Parse(Request{RawQuery: "click_id=c1&status=weird"}, reject)
	if ve := validationError(t, err); ve.Field != "status" || !strings.HasPrefix(ve.Message, `Unknown status "weird"`) {
		t.Errorf("reject: %q %q", ve.Field, ve.Message)
	}
	for raw, want := range map[string]Status{"approved": StatusApproved, "Confirmed": StatusApproved, "pending": StatusPending,
		"trash": StatusRejected, "": StatusApproved} {
		if pb := mustParse(t, Request{RawQuery: "click_id=c1&status=" + raw}, reject); pb.Status != want {
			t.Errorf("reject mode, %q: %q, want %q", raw, pb.Status, want)
		}
	}
	withMap := Integration{UnknownStatus: UnknownStatusReject, StatusMap: map[string]string{"weird": "pending"}}
	if pb := mustParse(t, Request{RawQuery: "click_id=c1&status=weird"}, withMap); pb.Status != StatusPending {
		t.Errorf("mapped word under reject: %q", pb.Status)
	}
}

func TestValidateStatusMap(t *testing.T) {
	if err := ValidateStatusMap(map[string]string{"9": "rejected", "billed": "Approved", "x": "ignore", "h": "pending"}); err != nil {
		t.Error(err)
	}
	for _, bad := range []map[string]string{{"9": "chargeback"}, {" ": "approved"}, {"On Hold": "pending", "on_hold": "pending"}} {
		if err := ValidateStatusMap(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if ValidateUnknownStatus("drop") == nil || ValidateUnknownStatus("") != nil {
		t.Error("unknown_status validation")
	}
}
