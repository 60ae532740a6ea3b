package destinations

import (
	"strings"
	"testing"
	"time"
)

func googleDest(endpoint string) Destination {
	return Destination{ID: 3, Type: TypeGoogleAds, Name: "gads", Endpoint: endpoint, Config: map[string]string{
		"customer_id": "123-456-7890", "conversion_action": "987654", "developer_token": "dev-token-xyz",
		"access_token": "ya29.oauth", "login_customer_id": "111-222-3333",
	}}
}

func TestGoogleAdsPayloadMatchesClickConversion(t *testing.T) {
	f := newFake(t, 200, `{"results":[{"gclid":"Cj0KCQ-gclid"}],"jobId":"1"}`)
	c := sampleConversion()
	c.EventTime = time.Date(2026, 11, 20, 2, 4, 3, 0, time.FixedZone("PST", -8*3600))
	if _, de := send(t, googleDest(f.URL), c); de != nil {
		t.Fatal(de)
	}
	r := f.only(t)
	if r.Path != "/"+DefaultGoogleAdsVersion+"/customers/1234567890:uploadClickConversions" {
		t.Errorf("path %s", r.Path)
	}
	if r.Header.Get("developer-token") != "dev-token-xyz" || r.Header.Get("Authorization") != "Bearer ya29.oauth" ||
		r.Header.Get("login-customer-id") != "1112223333" {
		t.Errorf("headers %v", r.Header)
	}
	body := decode(t, r.Body)
	if body["partialFailure"] != true {
		t.Errorf("partialFailure = %v", body["partialFailure"])
	}
	cv := path(t, body, "conversions", 0)
	wantString(t, path(t, cv, "gclid"), "Cj0KCQ-gclid")
	wantString(t, path(t, cv, "conversionAction"), "customers/1234567890/conversionActions/987654")
	wantString(t, path(t, cv, "conversionDateTime"), "2026-11-20 10:04:03+00:00")
	wantNumber(t, path(t, cv, "conversionValue"), "49.9")
	wantString(t, path(t, cv, "currencyCode"), "USD")
	wantString(t, path(t, cv, "orderId"), "tx-42:dest-7:Purchase")
	// Gmail dots removed before hashing; phone in E.164.
	wantString(t, path(t, cv, "userIdentifiers", 0, "hashedEmail"), sha256Hex("john_smith@gmail.com"))
	wantString(t, path(t, cv, "userIdentifiers", 1, "hashedPhoneNumber"), sha256Hex("+16505551212"))
	for _, k := range []string{"gbraid", "wbraid"} {
		if _, ok := cv.(map[string]any)[k]; ok {
			t.Errorf("%s sent alongside gclid", k)
		}
	}
}

func TestGoogleAdsGmailDotsAndResourceName(t *testing.T) {
	f := newFake(t, 200, `{}`)
	d := googleDest(f.URL)
	d.Config["conversion_action"] = "customers/1234567890/conversionActions/55"
	delete(d.Config, "login_customer_id")
	c := sampleConversion()
	c.User = UserData{Email: "Jo.Hn.Smith@GoogleMail.com", WBRAID: "wb-1"}
	if _, de := send(t, d, c); de != nil {
		t.Fatal(de)
	}
	r := f.only(t)
	if r.Header.Get("login-customer-id") != "" {
		t.Error("login-customer-id sent though not configured")
	}
	cv := path(t, decode(t, r.Body), "conversions", 0)
	wantString(t, path(t, cv, "conversionAction"), "customers/1234567890/conversionActions/55")
	wantString(t, path(t, cv, "wbraid"), "wb-1")
	// Google refuses user identifiers next to gbraid/wbraid.
	if ids, ok := cv.(map[string]any)["userIdentifiers"]; ok {
		t.Errorf("userIdentifiers %v sent with wbraid", ids)
	}
}

func TestGoogleAdsGmailDotsRemovedBeforeHashing(t *testing.T) {
	f := newFake(t, 200, `{}`)
	c := sampleConversion()
	c.User = UserData{Email: "Jo.Hn.Smith@GoogleMail.com"}
	if _, de := send(t, googleDest(f.URL), c); de != nil {
		t.Fatal(de)
	}
	cv := path(t, decode(t, f.only(t).Body), "conversions", 0)
	wantString(t, path(t, cv, "userIdentifiers", 0, "hashedEmail"), sha256Hex("johnsmith@googlemail.com"))
}

func TestGoogleAdsWithoutAnyIdentifierFailsWithoutSending(t *testing.T) {
	f := newFake(t, 200, `{}`)
	c := sampleConversion()
	c.User = UserData{IP: "203.0.113.9"}
	_, de := send(t, googleDest(f.URL), c)
	if de == nil || de.Retryable || !strings.Contains(de.Error(), "no gclid, gbraid or wbraid") {
		t.Fatalf("want a permanent explanation, got %v", de)
	}
	if f.count() != 0 {
		t.Error("nothing should be sent")
	}
}

func TestGoogleAdsErrorClassification(t *testing.T) {
	partial := `{"partialFailureError":{"code":3,"message":"The click identifier could not be decoded., at conversions[0].gclid",` +
		`"details":[{"@type":"type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure","errors":[{"errorCode":{"conversionUploadError":"UNPARSEABLE_GCLID"},"message":"The click identifier could not be decoded."}]}]},"results":[{}]}`
	auth := `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`
	invalid := `{"error":{"code":400,"message":"Request contains an invalid argument.","status":"INVALID_ARGUMENT",` +
		`"details":[{"@type":"type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure","errors":[{"errorCode":{"requestError":"INVALID_CUSTOMER_ID"},"message":"Invalid customer ID '1234567890'."}]}]}}`
	quota := `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`
	cases := []struct {
		name       string
		status     int
		body       string
		retryAfter string
		retryable  bool
		wait       time.Duration
		text       string
	}{
		{"partial failure on 200", 200, partial, "", false, 0, "partial failure: The click identifier could not be decoded."},
		{"bad credentials", 401, auth, "", false, 0, "UNAUTHENTICATED: Request had invalid authentication credentials."},
		{"invalid argument", 400, invalid, "", false, 0, "Invalid customer ID '1234567890'."},
		{"quota", 429, quota, "30", true, 30 * time.Second, "RESOURCE_EXHAUSTED"},
		{"unavailable", 503, `{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}`, "", true, 0, "UNAVAILABLE"},
		{"200 not JSON", 200, `ok`, "", true, 0, "unexpected answer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, c.status, c.body)
			if c.retryAfter != "" {
				f.header = map[string]string{"Retry-After": c.retryAfter}
			}
			_, de := send(t, googleDest(f.URL), sampleConversion())
			if de == nil {
				t.Fatal("want an error")
			}
			if de.Retryable != c.retryable || de.RetryAfter != c.wait || !strings.Contains(de.Error(), c.text) {
				t.Errorf("got retryable=%v after=%v %q; want %v %v containing %q",
					de.Retryable, de.RetryAfter, de.Error(), c.retryable, c.wait, c.text)
			}
		})
	}
}
