package destinations

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func metaDest(endpoint string) Destination {
	return Destination{ID: 1, Type: TypeMeta, Name: "pixel", Endpoint: endpoint, Config: map[string]string{
		"pixel_id": "1234567890", "access_token": "EAAB-secret-token", "test_event_code": "TEST123",
	}}
}

func TestMetaPayloadMatchesConversionsAPISchema(t *testing.T) {
	f := newFake(t, 200, `{"events_received":1,"messages":[],"fbtrace_id":"AbC"}`)
	res, de := send(t, metaDest(f.URL), sampleConversion())
	if de != nil {
		t.Fatalf("delivery failed: %v", de)
	}
	if res.StatusCode != 200 || !strings.Contains(res.Body, "events_received") {
		t.Errorf("result = %+v", res)
	}
	r := f.only(t)
	if r.Method != http.MethodPost || r.Path != "/"+DefaultMetaAPIVersion+"/1234567890/events" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if r.Query.Get("access_token") != "EAAB-secret-token" {
		t.Errorf("access_token query = %q", r.Query.Get("access_token"))
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	body := decode(t, r.Body)
	wantString(t, body["test_event_code"], "TEST123")
	ev := path(t, body, "data", 0)
	wantString(t, path(t, ev, "event_name"), "Purchase")
	wantNumber(t, path(t, ev, "event_time"), "1795168800") // testNow - 2h, unix seconds
	wantString(t, path(t, ev, "event_id"), "tx-42:dest-7:Purchase")
	wantString(t, path(t, ev, "action_source"), "website")
	wantString(t, path(t, ev, "event_source_url"), "https://shop.example.com/thanks")

	ud := path(t, ev, "user_data")
	wantHashArray(t, path(t, ud, "em"), "john_smith@gmail.com")
	wantHashArray(t, path(t, ud, "ph"), "16505551212") // no '+', country code added from the US country
	wantHashArray(t, path(t, ud, "fn"), "mary")
	wantHashArray(t, path(t, ud, "ln"), "obrien")
	wantHashArray(t, path(t, ud, "db"), "19970216")
	wantHashArray(t, path(t, ud, "ct"), "menlopark")
	wantHashArray(t, path(t, ud, "st"), "ca")
	wantHashArray(t, path(t, ud, "zp"), "94025")
	wantHashArray(t, path(t, ud, "country"), "us")
	wantHashArray(t, path(t, ud, "external_id"), "user-77")
	// Never hashed.
	wantString(t, path(t, ud, "client_ip_address"), "203.0.113.9")
	wantString(t, path(t, ud, "client_user_agent"), "Mozilla/5.0 (X11)")
	wantString(t, path(t, ud, "fbc"), "fb.1.1554763741205.AbCdEf")
	wantString(t, path(t, ud, "fbp"), "fb.1.1596403881668.1116446470")

	cd := path(t, ev, "custom_data")
	wantNumber(t, path(t, cd, "value"), "49.9")
	wantString(t, path(t, cd, "currency"), "USD")
	wantString(t, path(t, cd, "order_id"), "TX-42")
	wantString(t, path(t, cd, "content_type"), "product")
	wantString(t, path(t, cd, "contents", 0, "id"), "sku-1")
	wantNumber(t, path(t, cd, "contents", 0, "quantity"), "2")
	wantNumber(t, path(t, cd, "contents", 0, "item_price"), "24.95")
}

func TestMetaLeavesOutEmptyTraitsAndUsesConfig(t *testing.T) {
	f := newFake(t, 200, `{"events_received":1}`)
	d := metaDest(f.URL + "/")
	d.Config["api_version"] = "v24.0"
	d.Config["action_source"] = "system_generated"
	c := sampleConversion()
	c.User = UserData{Email: "x@example.com"}
	c.Items = nil
	if _, de := send(t, d, c); de != nil {
		t.Fatal(de)
	}
	r := f.only(t)
	if r.Path != "/v24.0/1234567890/events" {
		t.Errorf("path %s", r.Path)
	}
	ud := path(t, decode(t, r.Body), "data", 0, "user_data").(map[string]any)
	if len(ud) != 1 || ud["em"] == nil {
		t.Errorf("user_data should hold only em, got %v", ud)
	}
	wantString(t, path(t, decode(t, r.Body), "data", 0, "action_source"), "system_generated")
}

func TestMetaEventOlderThanSevenDaysFailsWithoutSending(t *testing.T) {
	f := newFake(t, 200, `{}`)
	c := sampleConversion()
	c.EventTime = testNow.Add(-8 * 24 * time.Hour)
	_, de := send(t, metaDest(f.URL), c)
	if de == nil || de.Retryable || !strings.Contains(de.Error(), "7 days") {
		t.Fatalf("want a permanent 7-day error, got %v", de)
	}
	if f.count() != 0 {
		t.Error("an event Meta would reject must not be sent")
	}
}

func TestMetaErrorClassification(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		retryable bool
		text      string
	}{
		{"expired token", 400, `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"x"}}`,
			false, "Error validating access token: Session has expired (code 190, subcode 463)"},
		{"unauthorized", 401, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":2500}}`,
			false, "Invalid OAuth access token."},
		{"forbidden", 403, `{"error":{"message":"Permissions error","code":200}}`, false, "Permissions error"},
		{"old event", 400, `{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_subcode":2804003,"error_user_title":"Event Timestamp Too Old","error_user_msg":"The timestamp for this event is too far in the past."}}`,
			false, "The timestamp for this event is too far in the past."},
		{"throttled", 400, `{"error":{"message":"User request limit reached","code":17}}`, true, "User request limit reached"},
		{"transient", 400, `{"error":{"message":"An unexpected error has occurred.","code":100,"is_transient":true}}`, true, "unexpected"},
		{"server", 500, `{"error":{"message":"Service temporarily unavailable","code":2}}`, true, "Service temporarily unavailable"},
		{"html gateway page", 502, `<html><body><h1>502 Bad Gateway</h1></body></html>`, true, "502 Bad Gateway"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, c.status, c.body)
			res, de := send(t, metaDest(f.URL), sampleConversion())
			if de == nil {
				t.Fatal("want an error")
			}
			if de.Retryable != c.retryable || de.StatusCode != c.status || res.StatusCode != c.status {
				t.Errorf("retryable=%v status=%d, want %v %d", de.Retryable, de.StatusCode, c.retryable, c.status)
			}
			if !strings.Contains(de.Error(), c.text) || !strings.HasPrefix(de.Error(), "meta: ") {
				t.Errorf("error %q should carry %q", de.Error(), c.text)
			}
			if strings.Contains(de.Error(), "EAAB-secret-token") {
				t.Error("error leaks the access token")
			}
		})
	}
}
