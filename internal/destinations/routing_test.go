package destinations

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestRouteTakes(t *testing.T) {
	r, err := RouteOf(map[string]string{ConfigOnlyEvents: " purchase , Lead", ConfigOnlyIntegrations: "PB", ConfigOnlyCampaigns: "12, 15"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		event, integ string
		campaign     int64
		want         bool
		why          string
	}{
		{"Purchase", "pb", 12, true, ""},
		{"LEAD", "pb", 15, true, ""},
		{"CompleteRegistration", "pb", 12, false, ConfigOnlyEvents},
		{"Purchase", "maxbounty", 12, false, ConfigOnlyIntegrations},
		{"Purchase", "pb", 0, false, ConfigOnlyCampaigns},
	}
	for _, c := range cases {
		ok, why := r.Takes(c.event, c.integ, c.campaign)
		if ok != c.want || !strings.Contains(why, c.why) {
			t.Errorf("Takes(%q, %q, %d) = %v %q, want %v (%s)", c.event, c.integ, c.campaign, ok, why, c.want, c.why)
		}
	}
	if ok, _ := (Route{}).Takes("anything", "", 0); !ok {
		t.Error("an empty route must take everything")
	}
	if _, err := RouteOf(map[string]string{ConfigOnlyCampaigns: "twelve"}); err == nil {
		t.Error("a campaign that is not an id must be refused")
	}
}

func TestEventNamesMapping(t *testing.T) {
	meta := Destination{Type: TypeMeta, Config: map[string]string{ConfigEventNames: `{"lead":"CompleteRegistration"}`}}
	if got := mappedEventName(meta, "Lead"); got != "CompleteRegistration" {
		t.Errorf("meta Lead -> %q", got)
	}
	if got := mappedEventName(meta, "Purchase"); got != "Purchase" {
		t.Errorf("unmapped -> %q", got)
	}
	tt := Destination{Type: TypeTikTok, Config: map[string]string{ConfigEventNames: "Purchase=CompletePayment, Lead = Contact"}}
	if got := tiktokEventName(mappedEventName(tt, "lead")); got != "Contact" {
		t.Errorf("tiktok lead -> %q", got)
	}
	hook := Destination{Type: TypeWebhook, Config: map[string]string{ConfigEventNames: "Lead=X"}}
	if got := mappedEventName(hook, "Lead"); got != "Lead" {
		t.Errorf("webhook renamed the event: %q", got)
	}
	for _, d := range []Destination{
		{Type: TypePostback, Name: "pb", Config: map[string]string{"url": "https://x.example/?a={click_id}", ConfigEventNames: "Lead=X"}},
		{Type: TypeMeta, Name: "m", Config: map[string]string{"pixel_id": "1", "access_token": "t", ConfigEventNames: "Lead"}},
		{Type: TypeMeta, Name: "m", Config: map[string]string{"pixel_id": "1", "access_token": "t", ConfigOnlyCampaigns: "x"}},
	} {
		if err := Validate(d); err == nil {
			t.Errorf("Validate(%v) accepted bad routing", d.Config)
		}
	}
	ok := Destination{Type: TypeGA4, Name: "g", Config: map[string]string{"measurement_id": "G-1", "api_secret": "s",
		ConfigEventNames: "Lead=qualify_lead", ConfigOnlyEvents: "Lead"}}
	if err := Validate(ok); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestConsentFor(t *testing.T) {
	denied := Consent{AdUserData: ConsentDenied, AdPersonalization: ConsentDenied}
	granted := Consent{AdUserData: ConsentGranted}
	if c, skip := ConsentFor(Consent{}, "de", EEADenied); c != denied || skip {
		t.Errorf("EEA denied: %+v %v", c, skip)
	}
	if c, skip := ConsentFor(Consent{}, "DE", EEASkip); !c.IsZero() || !skip {
		t.Errorf("EEA skip: %+v %v", c, skip)
	}
	if c, skip := ConsentFor(Consent{}, "NO", EEASend); !c.IsZero() || skip {
		t.Errorf("EEA send: %+v %v", c, skip)
	}
	if c, skip := ConsentFor(granted, "FR", EEASkip); c != granted || skip {
		t.Errorf("a signal wins: %+v %v", c, skip)
	}
	for _, country := range []string{"US", "GB", "CH", ""} {
		if c, skip := ConsentFor(Consent{}, country, EEASkip); !c.IsZero() || skip {
			t.Errorf("%q is outside the EEA: %+v %v", country, c, skip)
		}
	}
	if len(eeaCountries) != 30 {
		t.Errorf("%d EEA countries, want 30", len(eeaCountries))
	}
}

func TestGAClientID(t *testing.T) {
	for raw, want := range map[string]string{
		"GA1.1.1234567890.1700000000": "1234567890.1700000000",
		"GA1.2.5.6":                   "5.6",
		" 11.22 ":                     "11.22",
		"GA1.1.x.6":                   "",
		"1.2.3":                       "",
		"":                            "",
		"abc":                         "",
	} {
		if got := GAClientID(raw); got != want {
			t.Errorf("GAClientID(%q) = %q, want %q", raw, got, want)
		}
	}
}

// A negative value (revenue share) reaches ad platforms as 0 and the
// traffic-source postback with its sign.
func TestNegativeValueToAdPlatforms(t *testing.T) {
	c := Conversion{Value: decimalFrom(t, "-12.40"), Currency: "eur"}
	if v, cur := valueFields(c); v != "0" || cur != "EUR" {
		t.Errorf("ad platform value %q %q, want 0 EUR", v, cur)
	}
	c.Value = decimalFrom(t, "3.5")
	if v, _ := valueFields(c); v != "3.5" {
		t.Errorf("positive value %q", v)
	}
	d := Destination{Type: TypePostback, Config: map[string]string{"url": "https://src.example/pb?p={payout}"}}
	c.Value = decimalFrom(t, "-12.40")
	req, err := postbackRequest(t.Context(), d, c, c.EventTime)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.URL.Query().Get("p"); got != "-12.4" {
		t.Errorf("postback payout %q, want -12.4", got)
	}
}

func decimalFrom(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
