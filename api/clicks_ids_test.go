package api_test

import (
	"context"
	"net/http"
	"testing"
)

// The click redirect keeps the visitor's Google Analytics client id (from the
// _ga cookie, as "x.y") and TikTok's _ttp cookie; parameters win over cookies,
// and a value that is not a GA client id is not kept.
func TestClickRedirectKeepsGAClientIDAndTTP(t *testing.T) {
	h := newHarness(t)
	id := h.createCampaign(`{"name":"c","traffic_source":"tiktok","offer_url":"https://offer.example.com/?cid={click_id}"}`)
	click := func(query, cookie string) (string, string) {
		t.Helper()
		u := h.redirect(h.hit(id, query, "Cookie", cookie))
		k, err := h.st.GetClick(context.Background(), h.account.ID, u.Query().Get("cid"))
		if err != nil {
			t.Fatal(err)
		}
		return k.GAClientID, k.TTP
	}
	if ga, ttp := click("ttclid=E.C.P.abc", "_ga=GA1.1.1234567890.1700000000; _ttp=ttp-cookie-7"); ga != "1234567890.1700000000" || ttp != "ttp-cookie-7" {
		t.Errorf("cookies: ga %q, ttp %q", ga, ttp)
	}
	if ga, ttp := click("ga_client_id=11.22&ttp=ttp-param", "_ga=GA1.1.33.44; _ttp=ttp-cookie"); ga != "11.22" || ttp != "ttp-param" {
		t.Errorf("parameters over cookies: ga %q, ttp %q", ga, ttp)
	}
	if ga, _ := click("client_id=GA1.2.55.66", ""); ga != "55.66" {
		t.Errorf("client_id parameter: ga %q", ga)
	}
	if ga, _ := click("", "_ga=not-a-client-id"); ga != "" {
		t.Errorf("malformed _ga kept as %q", ga)
	}
	// The clicks API takes them too.
	code, out := h.admin("POST", "/clicks", `{"ga_client_id":"GA1.1.7.8","ttp":"ttp-api","ttclid":"tt-1"}`)
	if code != http.StatusCreated {
		t.Fatalf("create click: %d %v", code, out)
	}
	k, err := h.st.GetClick(context.Background(), h.account.ID, out["click_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if k.GAClientID != "7.8" || k.TTP != "ttp-api" || k.TTCLID != "tt-1" {
		t.Errorf("clicks API: %+v", k)
	}
}

// eea_without_consent is an account setting: send (default), denied or skip.
func TestSettingsEEAWithoutConsent(t *testing.T) {
	h := newHarness(t)
	if code, out := h.admin("GET", "/settings", ""); code != http.StatusOK || out["eea_without_consent"] != "send" {
		t.Fatalf("default: %d %v", code, out)
	}
	if code, out := h.admin("PUT", "/settings", `{"eea_without_consent":"Skip"}`); code != http.StatusOK || out["eea_without_consent"] != "skip" {
		t.Fatalf("set skip: %d %v", code, out)
	}
	if code, out := h.admin("PUT", "/settings", `{"eea_without_consent":"maybe"}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("bad value: %d %v", code, out)
	}
	if code, out := h.admin("PUT", "/settings", `{"timezone":"Europe/Paris"}`); code != http.StatusOK || out["eea_without_consent"] != "skip" {
		t.Fatalf("left out keeps it: %d %v", code, out)
	}
}
