package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/devstack"
)

// withConfig is a destination body for f with extra config keys.
func withConfig(t *testing.T, f *fakePlatform, name string, campaign int64, extra map[string]string) string {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal([]byte(f.destination(name, "approved", campaign)), &body); err != nil {
		t.Fatal(err)
	}
	cfg := body["config"].(map[string]any)
	for k, v := range extra {
		cfg[k] = v
	}
	raw, _ := json.Marshal(body)
	return string(raw)
}

// decodeBody decodes a recorded request body.
func decodeBody(t *testing.T, a attempt) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.Body, &m); err != nil {
		t.Fatalf("request body %q: %v", a.Body, err)
	}
	return m
}

// TestConsentRoutingAndClickIDsReachPlatforms: a visitor from Germany clicks
// through /c/ with Google Analytics and TikTok cookies; the network posts a
// Lead and a Purchase without a consent signal, in an account that sends EEA
// conversions without one as denied. Meta gets Limited Data Use and the
// mapped event name, GA4 consent denied and the click's client id, TikTok
// ttclid and ttp (and limited data use), Google Ads each event on its own
// conversion action, and a destination routed to Purchase only never hears
// of the Lead.
func TestConsentRoutingAndClickIDsReachPlatforms(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, nil)
	if code, body := st.admin("PUT", "/settings", `{"eea_without_consent":"denied"}`); code != http.StatusOK {
		t.Fatalf("settings: %d %v", code, body)
	}
	code, body := st.admin("POST", "/campaigns", `{"name":"route","offer_url":"https://offer.example/?c={click_id}"}`)
	if code != http.StatusCreated {
		t.Fatalf("create campaign: %d %v", code, body)
	}
	campaign := int64(body["id"].(float64))
	campaignSlug := fmt.Sprint(body["slug"])

	meta, tiktok, ga4, gads, purchaseOnly := newFake(t, "meta"), newFake(t, "tiktok"), newFake(t, "ga4"), newFake(t, "google_ads"),
		newFake(t, "meta")
	gads.actions = []string{"111", "222"}
	dests := map[*fakePlatform]int64{}
	for f, extra := range map[*fakePlatform]map[string]string{
		meta:         {"event_names": `{"Lead":"CompleteRegistration"}`},
		tiktok:       nil,
		ga4:          nil,
		gads:         {"conversion_actions": "Lead=111, Purchase=222"},
		purchaseOnly: {"only_events": "Purchase", "only_campaigns": strconv.FormatInt(campaign, 10)},
	} {
		code, body := st.admin("POST", "/destinations", withConfig(t, f, fmt.Sprintf("%s-%p", f.kind, f), campaign, extra))
		if code != http.StatusCreated {
			t.Fatalf("create %s destination: %d %v", f.kind, code, body)
		}
		dests[f] = int64(body["id"].(float64))
	}

	// The click: through the redirect, from Germany, with the _ga and _ttp cookies.
	req, _ := http.NewRequest("GET", st.info.APIBase+"/c/"+campaignSlug+"?ttclid=E.C.P.tt-route&country=DE", nil)
	req.Header.Set("Cookie", "_ga=GA1.1.1111111111.1700000000; _ttp=ttp-route-cookie")
	req.Header.Set("User-Agent", clickUA)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("click answered %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	clickID := loc.Query().Get("c")

	post := func(tx, event, value string) {
		q := url.Values{"click_id": {clickID}, "transaction_id": {tx}, "commission": {value}, "currency": {"EUR"},
			"status": {"approved"}, "event_name": {event}, "email": {custEmail}}
		code, body := st.call("GET", "/"+st.info.AccountID+"/collect/demo?"+q.Encode(), "", "")
		if code != http.StatusOK {
			t.Fatalf("postback %s: %d %v", tx, code, body)
		}
	}
	post("TX-ROUTE-LEAD", "Lead", "5")
	post("TX-ROUTE-BUY", "Purchase", "49.90")

	for _, f := range []*fakePlatform{meta, tiktok, ga4, gads} {
		st.waitDelivery(t, "TX-ROUTE-LEAD", dests[f], "delivered", 60*time.Second)
		st.waitDelivery(t, "TX-ROUTE-BUY", dests[f], "delivered", 60*time.Second)
		f.assertValid(t)
		if n := f.requests(); n != 2 {
			t.Errorf("%s received %d requests, want 2", f.kind, n)
		}
	}
	st.waitDelivery(t, "TX-ROUTE-BUY", dests[purchaseOnly], "delivered", 60*time.Second)
	// Filtered out: no delivery row, no request.
	if ds := st.deliveries(fmt.Sprintf("transaction_id=TX-ROUTE-LEAD&destination_id=%d", dests[purchaseOnly])); len(ds) != 0 {
		t.Errorf("the Purchase-only destination has Lead deliveries %v", ds)
	}
	purchaseOnly.assertValid(t)
	if n := purchaseOnly.requests(); n != 1 {
		t.Errorf("the Purchase-only destination received %d requests, want 1 (the Purchase)", n)
	}

	// Meta: Limited Data Use for a denied EEA user; the Lead under its mapped name.
	names := []string{}
	for _, a := range meta.log() {
		ev := decodeBody(t, a)["data"].([]any)[0].(map[string]any)
		names = append(names, ev["event_name"].(string))
		if dpo, _ := ev["data_processing_options"].([]any); len(dpo) != 1 || dpo[0] != "LDU" {
			t.Errorf("meta data_processing_options %v, want [LDU]", ev["data_processing_options"])
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"CompleteRegistration", "Purchase"}) {
		t.Errorf("meta event names %v, want CompleteRegistration (mapped Lead) and Purchase", names)
	}

	// GA4: consent denied, the click's client id from the _ga cookie.
	for _, a := range ga4.log() {
		m := decodeBody(t, a)
		if m["client_id"] != "1111111111.1700000000" {
			t.Errorf("ga4 client_id %v, want the _ga cookie's", m["client_id"])
		}
		c, _ := m["consent"].(map[string]any)
		if c["ad_user_data"] != "DENIED" || c["ad_personalization"] != "DENIED" {
			t.Errorf("ga4 consent %v, want both DENIED", m["consent"])
		}
	}

	// TikTok: the click's ttclid and _ttp cookie, limited data use.
	for _, a := range tiktok.log() {
		ev := decodeBody(t, a)["data"].([]any)[0].(map[string]any)
		u := ev["user"].(map[string]any)
		if u["ttclid"] != "E.C.P.tt-route" || u["ttp"] != "ttp-route-cookie" {
			t.Errorf("tiktok user ttclid %v ttp %v", u["ttclid"], u["ttp"])
		}
		if ev["limited_data_use"] != true {
			t.Errorf("tiktok limited_data_use %v, want true", ev["limited_data_use"])
		}
	}

	// Google Ads: the Lead on action 111, the Purchase on 222, consent denied.
	actions := map[string]string{}
	for _, a := range gads.log() {
		c := decodeBody(t, a)["conversions"].([]any)[0].(map[string]any)
		actions[c["orderId"].(string)] = a.Fields["conversionAction"]
		if consent, _ := c["consent"].(map[string]any); consent["adUserData"] != "DENIED" {
			t.Errorf("google consent %v, want adUserData DENIED", c["consent"])
		}
	}
	leadOrder := st.deliveries(fmt.Sprintf("transaction_id=TX-ROUTE-LEAD&destination_id=%d", dests[gads]))[0]["event_id"].(string)
	buyOrder := st.deliveries(fmt.Sprintf("transaction_id=TX-ROUTE-BUY&destination_id=%d", dests[gads]))[0]["event_id"].(string)
	if actions[leadOrder] != "customers/1234567890/conversionActions/111" || actions[buyOrder] != "customers/1234567890/conversionActions/222" {
		t.Errorf("google actions by order %v; want Lead (%s) on 111 and Purchase (%s) on 222", actions, leadOrder, buyOrder)
	}

	// Under skip, the next EEA conversion without a signal reaches no ad
	// platform (a skipped row says why) while the traffic source gets it.
	if code, body := st.admin("PUT", "/settings", `{"eea_without_consent":"skip"}`); code != http.StatusOK {
		t.Fatalf("settings: %d %v", code, body)
	}
	source := newFake(t, "postback")
	code, body = st.admin("POST", "/destinations", withConfig(t, source, "source", campaign, nil))
	if code != http.StatusCreated {
		t.Fatalf("create postback destination: %d %v", code, body)
	}
	sourceID := int64(body["id"].(float64))
	post("TX-ROUTE-SKIP", "Purchase", "20")
	st.waitDelivery(t, "TX-ROUTE-SKIP", sourceID, "delivered", 60*time.Second)
	source.assertValid(t)
	for _, f := range []*fakePlatform{meta, tiktok, ga4, gads, purchaseOnly} {
		d := st.waitDelivery(t, "TX-ROUTE-SKIP", dests[f], "skipped", 30*time.Second)
		if reason, _ := d["last_error"].(string); reason == "" || num(d["attempts"]) != 0 {
			t.Errorf("%s skipped delivery %v, want a reason and no attempt", f.kind, d)
		}
	}
	for f, n := range map[*fakePlatform]int{meta: 2, tiktok: 2, ga4: 2, gads: 2, purchaseOnly: 1} {
		if got := f.requests(); got != n {
			t.Errorf("%s received %d requests after skip, want still %d", f.kind, got, n)
		}
	}
}
