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

// An integration's status rules are set at creation or replaced later without
// touching its tokens; the live intake reads them at once.
func TestIntegrationStatusRulesAPI(t *testing.T) {
	h := newHarness(t)
	code, in := h.admin("POST", "/integrations", `{"slug":"aff","preset":"affise","status_map":{"9":"chargeback"}}`)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad status_map: %d %v, want 422", code, in)
	}
	code, in = h.admin("POST", "/integrations", `{"slug":"aff","preset":"affise"}`)
	if code != http.StatusCreated || fmt.Sprint(in["status_map"]) != "map[]" || in["unknown_status"] != "approve" {
		t.Fatalf("create: %d %v", code, in)
	}
	token := in["token"].(string)
	collect := func(status string) (int, map[string]any) {
		return h.do("GET", "/"+h.account.ID+"/collect/aff?token="+token+"&sub1=c1&transactionid=T1&sum=3&status="+status, "", "")
	}
	if code, out := h.admin("POST", "/postbacks/test", `{"integration":"aff","query":"sub1=c1&sum=3&status=9"}`); code != http.StatusOK ||
		out["status"] != "approved" || out["status_source"] != "unknown" {
		t.Fatalf("before the map, test tool: %d %v", code, out)
	}
	code, in = h.admin("PUT", "/integrations/aff/status_rules", `{"status_map":{"9":"rejected"},"unknown_status":"reject"}`)
	if code != http.StatusOK || fmt.Sprint(in["status_map"]) != "map[9:rejected]" || in["unknown_status"] != "reject" {
		t.Fatalf("set rules: %d %v", code, in)
	}
	if code, out := h.admin("POST", "/postbacks/test", `{"integration":"aff","query":"sub1=c1&sum=3&status=9"}`); code != http.StatusOK ||
		out["status"] != "rejected" || out["status_source"] != "status_map" || out["raw_status"] != "9" {
		t.Fatalf("after the map, test tool: %d %v", code, out)
	}
	if code, out := collect("weird"); code != http.StatusUnprocessableEntity {
		t.Errorf("unknown status under reject: %d %v, want 422", code, out)
	}
	if code, out := collect("9"); code != http.StatusOK {
		t.Errorf("mapped status with the old token: %d %v, want 200", code, out)
	}
	if code, out := h.admin("PUT", "/integrations/nope/status_rules", `{}`); code != http.StatusNotFound {
		t.Errorf("unknown integration: %d %v", code, out)
	}
}
