package destinations

import (
	"strings"
	"testing"
)

func tiktokDest(endpoint string) Destination {
	return Destination{ID: 2, Type: TypeTikTok, Name: "tt", Endpoint: endpoint, Config: map[string]string{
		"pixel_code": "C4ABCDEF", "access_token": "tt-secret-token",
	}}
}

const tiktokOK = `{"code":0,"message":"OK","request_id":"2024","data":{}}`

func TestTikTokPayloadMatchesEventsAPI2(t *testing.T) {
	f := newFake(t, 200, tiktokOK)
	if _, de := send(t, tiktokDest(f.URL), sampleConversion()); de != nil {
		t.Fatal(de)
	}
	r := f.only(t)
	if r.Method != "POST" || r.Path != "/open_api/v1.3/event/track/" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if r.Header.Get("Access-Token") != "tt-secret-token" || len(r.Query) != 0 {
		t.Errorf("token must travel in the Access-Token header only: %v %v", r.Header, r.Query)
	}
	body := decode(t, r.Body)
	wantString(t, body["event_source"], "web")
	wantString(t, body["event_source_id"], "C4ABCDEF")
	ev := path(t, body, "data", 0)
	wantString(t, path(t, ev, "event"), "Purchase")
	wantNumber(t, path(t, ev, "event_time"), "1795168800")
	wantString(t, path(t, ev, "event_id"), "tx-42:dest-7:Purchase")
	u := path(t, ev, "user")
	wantString(t, path(t, u, "email"), sha256Hex("john_smith@gmail.com"))
	wantString(t, path(t, u, "phone"), sha256Hex("+16505551212")) // E.164 with '+'
	wantString(t, path(t, u, "external_id"), sha256Hex("user-77"))
	wantString(t, path(t, u, "ttclid"), "E.C.P.ttclid")
	wantString(t, path(t, u, "ip"), "203.0.113.9")
	wantString(t, path(t, u, "user_agent"), "Mozilla/5.0 (X11)")
	p := path(t, ev, "properties")
	wantNumber(t, path(t, p, "value"), "49.9")
	wantString(t, path(t, p, "currency"), "USD")
	wantString(t, path(t, p, "order_id"), "TX-42")
	wantString(t, path(t, p, "content_type"), "product")
	wantString(t, path(t, p, "contents", 0, "content_id"), "sku-1")
	wantNumber(t, path(t, p, "contents", 0, "price"), "24.95")
	wantNumber(t, path(t, p, "contents", 0, "quantity"), "2")
	wantString(t, path(t, ev, "page", "url"), "https://shop.example.com/thanks")

	// Meta and TikTok phone digests must differ: the '+' is part of TikTok's form.
	if sha256Hex("16505551212") == path(t, u, "phone") {
		t.Error("TikTok phone hashed without '+'")
	}
}

func TestTikTokLeadBecomesSubmitForm(t *testing.T) {
	f := newFake(t, 200, tiktokOK)
	c := sampleConversion()
	c.EventName = "Lead"
	if _, de := send(t, tiktokDest(f.URL), c); de != nil {
		t.Fatal(de)
	}
	wantString(t, path(t, decode(t, f.only(t).Body), "data", 0, "event"), "SubmitForm")
}

func TestTikTokErrorClassification(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		retryable bool
		text      string
	}{
		{"bad token on 200", 200, `{"code":40105,"message":"Access token is incorrect or has been revoked.","request_id":"r"}`,
			false, "Access token is incorrect or has been revoked. (code 40105)"},
		{"bad parameter on 200", 200, `{"code":40002,"message":"event_source_id: pixel not found"}`, false, "pixel not found"},
		{"rate limited on 200", 200, `{"code":40100,"message":"Requests made too frequently."}`, true, "too frequently"},
		{"system error on 200", 200, `{"code":50000,"message":"System error"}`, true, "System error"},
		{"not JSON on 200", 200, `<html>maintenance</html>`, true, "maintenance"},
		{"gateway", 503, `Service Unavailable`, true, "Service Unavailable"},
		{"http 400 with envelope", 400, `{"code":40001,"message":"No permission"}`, false, "No permission"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, c.status, c.body)
			_, de := send(t, tiktokDest(f.URL), sampleConversion())
			if de == nil {
				t.Fatal("want an error")
			}
			if de.Retryable != c.retryable || !strings.Contains(de.Error(), c.text) {
				t.Errorf("got retryable=%v %q, want %v containing %q", de.Retryable, de.Error(), c.retryable, c.text)
			}
		})
	}
}
