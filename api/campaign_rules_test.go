package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// A campaign's traffic-source rules round-trip through the admin API with
// their defaults, and bad ones are refused with the reason.
func TestCampaignRulesAPI(t *testing.T) {
	h := newHarness(t)
	id := h.createCampaign(`{"name":"Rules","offer_url":"https://offer.example.com/?cid={click_id}",
		"traffic_source_postback":"https://ts.example.com/pb?c={click_id}&p={payout}"}`)
	code, got := h.admin("GET", fmt.Sprintf("/campaigns/%d", id), "")
	if code != http.StatusOK || fmt.Sprint(got["traffic_source_fire_on"]) != "[approved]" || got["cap_action"] != "hold" ||
		fmt.Sprint(got["payout"]) != "map[amount:0 currency:conversion rule:revenue]" || fmt.Sprint(got["caps"]) != "[]" {
		t.Fatalf("defaults: %d %v", code, got)
	}
	code, got = h.admin("PUT", fmt.Sprintf("/campaigns/%d", id), `{"name":"Rules","offer_url":"https://offer.example.com/",
		"traffic_source_postback":"https://ts.example.com/pb?p={payout}","traffic_source_fire_on":["approved","value_change"],
		"payout":{"rule":"percent","amount":"70"},"caps":[{"event":"","daily":2},{"event":"Purchase","total":100}],"cap_action":"reject"}`)
	if code != http.StatusOK || fmt.Sprint(got["traffic_source_fire_on"]) != "[approved value_change]" || got["cap_action"] != "reject" ||
		fmt.Sprint(got["payout"]) != "map[amount:70 currency:conversion rule:percent]" ||
		fmt.Sprint(got["caps"]) != "[map[daily:2 event: total:<nil>] map[daily:<nil> event:Purchase total:100]]" {
		t.Fatalf("update: %d %v", code, got)
	}
	for _, bad := range []string{
		`"traffic_source_fire_on":["sometimes"]`,
		`"payout":{"rule":"share"}`,
		`"payout":{"rule":"fixed","amount":"3","currency":"conversion"}`,
		`"payout":{"rule":"percent","amount":"-5"}`,
		`"caps":[{"event":"Lead"}]`,
		`"caps":[{"daily":-1}]`,
		`"caps":[{"daily":1},{"event":"","total":3}]`,
		`"cap_action":"drop"`,
	} {
		body := `{"name":"x","offer_url":"https://o.example/",` + bad + `}`
		// An unknown life event fails to decode (400), as for destinations.
		if code, out := h.admin("POST", "/campaigns", body); code != http.StatusUnprocessableEntity && code != http.StatusBadRequest {
			t.Errorf("create with %s: %d %v, want 422 (or 400)", bad, code, out)
		}
	}
}
