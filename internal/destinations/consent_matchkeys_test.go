package destinations

import (
	"strings"
	"testing"
)

var deniedUser = Consent{AdUserData: ConsentDenied, AdPersonalization: ConsentDenied}

func metaDestForConsent(endpoint string) Destination {
	return Destination{ID: 1, Type: TypeMeta, Name: "fb", Endpoint: endpoint, Config: map[string]string{
		"pixel_id": "1234567890", "access_token": "EAAB-token-value",
	}}
}

func TestMetaLimitedDataUseFromConsent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		consent Consent
		check   func(t *testing.T, ev map[string]any)
	}{
		{"denied", deniedUser, func(t *testing.T, ev map[string]any) {
			opts, ok := ev["data_processing_options"].([]any)
			if !ok || len(opts) != 1 || opts[0] != "LDU" {
				t.Errorf("data_processing_options = %#v, want [\"LDU\"]", ev["data_processing_options"])
			}
			// 0/0: Meta geolocates the event to apply the state's rules.
			wantNumber(t, ev["data_processing_options_country"], "0")
			wantNumber(t, ev["data_processing_options_state"], "0")
		}},
		{"granted", Consent{AdUserData: ConsentGranted, AdPersonalization: ConsentGranted}, func(t *testing.T, ev map[string]any) {
			opts, ok := ev["data_processing_options"].([]any)
			if !ok || len(opts) != 0 {
				t.Errorf("data_processing_options = %#v, want [] (LDU explicitly off)", ev["data_processing_options"])
			}
			for _, k := range []string{"data_processing_options_country", "data_processing_options_state"} {
				if _, ok := ev[k]; ok {
					t.Errorf("%s sent with LDU off", k)
				}
			}
		}},
		{"no signal", Consent{}, func(t *testing.T, ev map[string]any) {
			for k := range ev {
				if strings.HasPrefix(k, "data_processing_options") {
					t.Errorf("%s sent without a consent signal", k)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, 200, `{"events_received":1}`)
			c := sampleConversion()
			c.Consent = tc.consent
			if _, de := send(t, metaDestForConsent(f.URL), c); de != nil {
				t.Fatal(de)
			}
			tc.check(t, path(t, decode(t, f.only(t).Body), "data", 0).(map[string]any))
		})
	}
}

func TestGA4ConsentClientIDAndUserData(t *testing.T) {
	f := newFake(t, 204, "")
	c := sampleConversion()
	c.Consent = deniedUser
	if _, de := send(t, ga4Dest(f.URL), c); de != nil {
		t.Fatal(de)
	}
	body := decode(t, f.only(t).Body)
	keys(t, "consent", body["consent"], "ad_user_data", "ad_personalization")
	wantString(t, path(t, body, "consent", "ad_user_data"), "DENIED")
	wantString(t, path(t, body, "consent", "ad_personalization"), "DENIED")
	// The click's _ga cookie, not an invented user.
	wantString(t, body["client_id"], "111.222")

	ud := body["user_data"]
	keys(t, "user_data", ud, "sha256_email_address", "sha256_phone_number", "address")
	wantHashArray(t, path(t, ud, "sha256_email_address"), "john_smith@gmail.com")
	wantHashArray(t, path(t, ud, "sha256_phone_number"), "+16505551212")
	addr := path(t, ud, "address", 0)
	keys(t, "address", addr, "sha256_first_name", "sha256_last_name", "city", "region", "postal_code", "country")
	wantString(t, path(t, addr, "sha256_first_name"), sha256Hex("mary"))
	wantString(t, path(t, addr, "sha256_last_name"), sha256Hex("obrien"))
	wantString(t, path(t, addr, "city"), "menlopark")
	wantString(t, path(t, addr, "region"), "ca")
	wantString(t, path(t, addr, "postal_code"), "94025")
	wantString(t, path(t, addr, "country"), "US")

	// A bare client id is used as is; no traits and no consent: neither
	// user_data nor consent is sent.
	g := newFake(t, 204, "")
	c = sampleConversion()
	c.User = UserData{GAClientID: "1234.5678"}
	if _, de := send(t, ga4Dest(g.URL), c); de != nil {
		t.Fatal(de)
	}
	body = decode(t, g.only(t).Body)
	wantString(t, body["client_id"], "1234.5678")
	for _, k := range []string{"user_data", "consent"} {
		if _, ok := body[k]; ok {
			t.Errorf("%s sent: %v", k, body[k])
		}
	}
}

func TestTikTokMatchKeysAndLimitedDataUse(t *testing.T) {
	f := newFake(t, 200, tiktokOK)
	c := sampleConversion()
	c.User.TTP = "2F7h37YkS1j57AYSKTI7IHhJPYH"
	c.Consent = deniedUser
	if _, de := send(t, tiktokDest(f.URL), c); de != nil {
		t.Fatal(de)
	}
	ev := path(t, decode(t, f.only(t).Body), "data", 0)
	if v, ok := ev.(map[string]any)["limited_data_use"]; !ok || v != true {
		t.Errorf("limited_data_use = %v, want true for a denied user", v)
	}
	u := path(t, ev, "user")
	wantString(t, path(t, u, "ttclid"), "E.C.P.ttclid")
	wantString(t, path(t, u, "ttp"), "2F7h37YkS1j57AYSKTI7IHhJPYH")
	wantString(t, path(t, u, "first_name"), sha256Hex("mary"))
	wantString(t, path(t, u, "last_name"), sha256Hex("obrien"))
	wantString(t, path(t, u, "city"), sha256Hex("menlopark"))
	wantString(t, path(t, u, "state"), sha256Hex("ca"))
	wantString(t, path(t, u, "country"), sha256Hex("us"))
	wantString(t, path(t, u, "zip_code"), sha256Hex("94025"))

	// Without consent signal or traits: nothing extra.
	g := newFake(t, 200, tiktokOK)
	c = sampleConversion()
	c.User = UserData{Email: "a@example.com"}
	if _, de := send(t, tiktokDest(g.URL), c); de != nil {
		t.Fatal(de)
	}
	ev = path(t, decode(t, g.only(t).Body), "data", 0)
	if v, ok := ev.(map[string]any)["limited_data_use"]; ok {
		t.Errorf("limited_data_use %v sent without a signal", v)
	}
	keys(t, "user", path(t, ev, "user"), "email")

	granted := sampleConversion()
	granted.Consent = Consent{AdUserData: ConsentGranted}
	if b := tiktokPayload(tiktokDest(""), granted, testNow); b.Data[0].LimitedDataUse == nil || *b.Data[0].LimitedDataUse {
		t.Errorf("granted: limited_data_use %v, want false", b.Data[0].LimitedDataUse)
	}
}

func TestPostbackEventIDMacroIsTheIdempotencyKey(t *testing.T) {
	f := newFake(t, 200, "OK")
	c := sampleConversion()
	if _, de := send(t, postbackDest(f.URL+"/pb?eid={event_id}&tx={transaction_id}", ""), c); de != nil {
		t.Fatal(de)
	}
	q := f.only(t).Query
	if got := q.Get("eid"); got != "tx-42:dest-7:Purchase" || got != c.EventID {
		t.Errorf("{event_id} = %q, want the delivery's key %q", got, c.EventID)
	}
	// The key Meta and TikTok get for the same delivery.
	if pixelEventID(metaDestForConsent(""), c) != q.Get("eid") {
		t.Error("{event_id} differs from the event_id the ad platforms get")
	}
}

func TestPrepareChoosesTheGoogleAPI(t *testing.T) {
	gads := func(cfg map[string]string) Destination {
		return Destination{Type: TypeGoogleAds, Name: "g", Config: cfg}
	}
	in := map[string]string{"customer_id": "1"}
	if got := Prepare(gads(in), nil).Config["api"]; got != GoogleAPIDataManager {
		t.Errorf("new destination: api %q, want data_manager", got)
	}
	if _, changed := in["api"]; changed {
		t.Error("Prepare changed the caller's map")
	}
	if got := Prepare(gads(map[string]string{}), map[string]string{"customer_id": "1"}).Config["api"]; got != GoogleAPIAds {
		t.Errorf("stored before the key existed: api %q, want google_ads", got)
	}
	if got := Prepare(gads(map[string]string{}), map[string]string{"api": "data_manager"}).Config["api"]; got != GoogleAPIDataManager {
		t.Errorf("edit keeps the stored choice: api %q", got)
	}
	if got := Prepare(gads(map[string]string{"api": "google_ads"}), nil).Config["api"]; got != GoogleAPIAds {
		t.Errorf("an explicit choice wins: api %q", got)
	}
	if got := Prepare(Destination{Type: TypeMeta, Config: map[string]string{}}, nil).Config["api"]; got != "" {
		t.Errorf("meta got api %q", got)
	}
	// What is stored without the key is delivered as it always was.
	if googleAPI(googleDest("")) != GoogleAPIAds {
		t.Error("a stored destination without api must stay on the Google Ads API")
	}
}

func TestValidateGoogleAPIs(t *testing.T) {
	base := func() Destination {
		return Destination{Type: TypeGoogleAds, Name: "g", Config: map[string]string{
			"customer_id": "123-456-7890", "conversion_action": "55",
			"client_id": "c", "client_secret": "s", "refresh_token": "r",
		}}
	}
	dm := base()
	dm.Config["api"] = "data_manager"
	if err := Validate(dm); err != nil {
		t.Errorf("data_manager without developer token: %v", err)
	}
	for _, api := range []string{"", "google_ads"} {
		d := base()
		if api != "" {
			d.Config["api"] = api
		}
		if err := Validate(d); err == nil || !strings.Contains(err.Error(), `"developer_token"`) {
			t.Errorf("api %q without developer token: %v", api, err)
		}
	}
	for cfg, want := range map[[2]string]string{
		{"api", "bing"}:                          "api must be data_manager or google_ads",
		{"conversion_actions", "Lead"}:           "conversion_actions",
		{"conversion_actions", "Lead=abc"}:       "conversion_actions",
		{"conversion_actions", `{"Lead":1}`}:     "conversion_actions",
		{"conversion_actions", "Lead=1, lead=2"}: "mapped twice",
		{"conversion_action", "AW-123/label"}:    "conversion_action",
		{"login_account_type", "SEARCH_ADS_360"}: "login_account_type",
	} {
		d := dm
		d.Config = map[string]string{}
		for k, v := range dm.Config {
			d.Config[k] = v
		}
		d.Config[cfg[0]] = cfg[1]
		if err := Validate(d); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%q: %v, want an error about %q", cfg[0], cfg[1], err, want)
		}
	}
	ok := dm
	ok.Config = map[string]string{}
	for k, v := range dm.Config {
		ok.Config[k] = v
	}
	ok.Config["conversion_actions"] = `{"Lead":"111","Purchase":"customers/1234567890/conversionActions/222"}`
	if err := Validate(ok); err != nil {
		t.Errorf("valid mapping refused: %v", err)
	}
}

func TestGoogleAdsAPIConsent(t *testing.T) {
	f := newFake(t, 200, `{"results":[{}]}`)
	c := sampleConversion()
	c.Consent = deniedUser
	if _, de := send(t, googleDest(f.URL), c); de != nil {
		t.Fatal(de)
	}
	cv := path(t, decode(t, f.only(t).Body), "conversions", 0)
	keys(t, "consent", path(t, cv, "consent"), "adUserData", "adPersonalization")
	wantString(t, path(t, cv, "consent", "adUserData"), "DENIED")
	wantString(t, path(t, cv, "consent", "adPersonalization"), "DENIED")

	g := newFake(t, 200, `{"results":[{}]}`)
	if _, de := send(t, googleDest(g.URL), sampleConversion()); de != nil {
		t.Fatal(de)
	}
	if v, ok := path(t, decode(t, g.only(t).Body), "conversions", 0).(map[string]any)["consent"]; ok {
		t.Errorf("consent %v sent without a signal", v)
	}
}
