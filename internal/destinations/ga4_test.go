package destinations

import (
	"regexp"
	"testing"
	"time"
)

func ga4Dest(endpoint string) Destination {
	return Destination{ID: 4, Type: TypeGA4, Name: "ga", Endpoint: endpoint, Config: map[string]string{
		"measurement_id": "G-ABC123", "api_secret": "mp-secret-value",
	}}
}

func TestGA4PayloadMatchesMeasurementProtocol(t *testing.T) {
	f := newFake(t, 204, "")
	if _, de := send(t, ga4Dest(f.URL), sampleConversion()); de != nil {
		t.Fatal(de)
	}
	r := f.only(t)
	if r.Method != "POST" || r.Path != "/mp/collect" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if r.Query.Get("measurement_id") != "G-ABC123" || r.Query.Get("api_secret") != "mp-secret-value" {
		t.Errorf("query %v", r.Query)
	}
	body := decode(t, r.Body)
	wantString(t, body["client_id"], "111.222") // from the raw _ga cookie value
	wantNumber(t, body["timestamp_micros"], "1795168800000000")
	ev := path(t, body, "events", 0)
	wantString(t, path(t, ev, "name"), "purchase")
	p := path(t, ev, "params")
	wantString(t, path(t, p, "transaction_id"), "TX-42")
	wantNumber(t, path(t, p, "value"), "49.9")
	wantString(t, path(t, p, "currency"), "USD")
	wantString(t, path(t, p, "items", 0, "item_id"), "sku-1")
	wantString(t, path(t, p, "items", 0, "item_name"), "Widget")
	wantString(t, path(t, p, "items", 0, "item_variant"), "blue")
	wantNumber(t, path(t, p, "items", 0, "price"), "24.95")
	wantNumber(t, path(t, p, "items", 0, "quantity"), "2")
}

func TestGA4ClientIDDerivedFromClickIsStable(t *testing.T) {
	c := sampleConversion()
	c.User.GAClientID = ""
	a, b := ga4ClientID(c), ga4ClientID(c)
	if a != b || !regexp.MustCompile(`^\d+\.\d+$`).MatchString(a) {
		t.Errorf("derived ids %q %q", a, b)
	}
	c.ClickID = "another-click"
	if ga4ClientID(c) == a {
		t.Error("different clicks share a client id")
	}
	c.User.GAClientID = "123456.789"
	if ga4ClientID(c) != "123456.789" {
		t.Error("a given client id must be used as is")
	}
}

func TestGA4LeadAndOldEvents(t *testing.T) {
	c := sampleConversion()
	c.EventName = "Lead"
	c.TransactionID = ""
	c.EventTime = testNow.Add(-5 * 24 * time.Hour) // beyond GA4's 72h backdating
	b := ga4Payload(c, testNow)
	if b.Events[0].Name != "generate_lead" || b.TimestampMicros != 0 || b.Events[0].Params.TransactionID != c.EventID {
		t.Errorf("payload %+v", b)
	}
}

func TestGA4ServerErrorIsRetryable(t *testing.T) {
	f := newFake(t, 500, "oops")
	_, de := send(t, ga4Dest(f.URL), sampleConversion())
	if de == nil || !de.Retryable {
		t.Fatalf("got %v", de)
	}
}
