package postback

import (
	"net/url"
	"testing"
)

// Seed 000: the example template URL, with every placeholder unfilled, must
// not produce a conversion: the macros are empty, so there is no identity.
func TestSeed000TemplateURLWithUnfilledMacrosIsRejected(t *testing.T) {
	raw := "https://t1.anytrack.io/GqxV3nTo/collect/custom-newtest?click_id={click_id}&commission={commission}&currency={currency}&transaction_id={transaction_id}&brand_name={brand_name}&event_name=CompleteRegistration&email={email}&name={name}"
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(Request{RawQuery: u.RawQuery}, Integration{})
	if ve := validationError(t, err); ve.Message != MsgMissingIdentity {
		t.Fatalf("got %q, want %q", ve.Message, MsgMissingIdentity)
	}
}

// Seed 000: the same template with all values filled ("¤cy=" in the seed is
// a mangled "&currency=").
func TestSeed000FilledURL(t *testing.T) {
	raw := "https://t1.anytrack.io/GqxV3nTo/collect/custom-newtest?click_id=CAxaduSFl0fpiROSdRkptrJ5REfN2GeEnE&commission=4.99&currency=USD&transaction_id=10492A&brand_name=Apple%20Inc&event_name=CompleteRegistration&email=jsmith%40example.com&name=John%20Smith"
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	pb := mustParse(t, Request{RawQuery: u.RawQuery}, Integration{})
	checks := []struct{ name, got, want string }{
		{"ClickID", pb.ClickID, "CAxaduSFl0fpiROSdRkptrJ5REfN2GeEnE"},
		{"ValueAlias", pb.ValueAlias, "commission"},
		{"Currency", pb.Currency, "USD"},
		{"TransactionID", pb.TransactionID, "10492A"},
		{"BrandName", pb.BrandName, "Apple Inc"},
		{"EventName", pb.EventName, "CompleteRegistration"},
		{"EventSource", pb.EventSource, EventSourceEventName},
		{"Email", pb.Email, "jsmith@example.com"},
		{"Traits.Email", pb.Traits.Email, "jsmith@example.com"},
		{"Traits.FirstName", pb.Traits.FirstName, "John"},
		{"Traits.LastName", pb.Traits.LastName, "Smith"},
		{"Status", string(pb.Status), "approved"},
		{"MatchKey", pb.MatchKey(), "click:CAxaduSFl0fpiROSdRkptrJ5REfN2GeEnE"},
		{"TransactionKey", pb.TransactionKey(), "10492A"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	valueIs(t, "Value", pb.Value, "4.99")
	if len(pb.Params) != 8 || pb.Params[0].Name != "click_id" || pb.Params[7].Name != "name" {
		t.Errorf("Params not kept in order: %+v", pb.Params)
	}
	roundTrip(t, pb)
}

// Seed 000 "Conversion Funnel Logic": 0 commission is a Lead, > 0 a Purchase.
func TestSeed000FunnelLogic(t *testing.T) {
	for _, tc := range []struct{ commission, want string }{
		{"0", EventLead}, {"0.00", EventLead}, {"4.99", EventPurchase}, {"500", EventPurchase},
	} {
		pb := q(t, "click_id=c1&commission="+tc.commission)
		if pb.EventName != tc.want || pb.EventSource != EventSourceAutomatic {
			t.Errorf("commission=%s: event %q (%s), want %q automatic", tc.commission, pb.EventName, pb.EventSource, tc.want)
		}
	}
}

// Seed 000: the short impact examples carry nothing but unfilled macros.
func TestSeed000ImpactTemplatesUnfilled(t *testing.T) {
	for _, raw := range []string{
		"click_id={click_id}",
		"click_id={click_id}&commission={commission}&currency={currency}",
		"ActionTrackerName={ActionTrackerName}&CampaignId={CampaignId}&CampaignName={CampaignName}&MediaPartnerId={MediaPartnerId}&MediaPartnerName={MediaPartnerName}&SubId1={SubId1}&SubId2={SubId2}&SubId3={SubId3}&AdId={AdId}&ActionTrackerId={ActionTrackerId}&ActionId={ActionId}&commission={commission}&currency={currency}&Payout={Payout}&EventDate={EventDate}&Status={Status}&StatusDetail={StatusDetail}&LandingPageUrl={LandingPageUrl}&SharedId={SharedId}&PromoCode={PromoCode}&RefCustomerCountry={RefCustomerCountry}",
	} {
		for _, preset := range []string{"custom", "impact"} {
			_, err := Parse(Request{RawQuery: raw}, Integration{Preset: preset})
			if ve := validationError(t, err); ve.Message != MsgMissingIdentity {
				t.Errorf("%s %q: got %q", preset, raw, ve.Message)
			}
		}
	}
}

// seed001JSON is seed 001's JSON example (the e-mail was obfuscated in the
// stored page; a plain address stands in for it).
const seed001JSON = `{
  "click_id": "f8e3bf8dfba8b51ce3340",
  "conversion_type": "purchase",
  "value": 120.00,
  "currency": "USD",
  "transaction_id": "24356562534585",
  "brand_name": "Acme",
  "email": "john@example.com",
  "full_name": "John Smith",
  "country": "US",
  "state": "CA",
  "zipcode": "94025",
  "items": [
    { "id": "20291", "name": "ZX Series Headphones", "quantity": 1, "price": 20.00 },
    { "id": "49292", "name": "Audio Connector", "quantity": 1, "price": 100.00 }
  ],
  "xat_plan": "gold"
}`

const seed001Query = "click_id=f8e3bf8dfba8b51ce3340&conversion_type=purchase&value=120&currency=USD&transaction_id=24356562534585"

func TestSeed001JSONExample(t *testing.T) {
	pb := jsonBody(t, seed001JSON)
	checks := []struct{ name, got, want string }{
		{"ClickID", pb.ClickID, "f8e3bf8dfba8b51ce3340"},
		{"ConversionType", pb.ConversionType, "purchase"},
		{"EventName", pb.EventName, EventPurchase},
		{"EventSource", pb.EventSource, EventSourceConversionType},
		{"ValueAlias", pb.ValueAlias, "value"},
		{"Currency", pb.Currency, "USD"},
		{"TransactionID", pb.TransactionID, "24356562534585"},
		{"BrandName", pb.BrandName, "Acme"},
		{"Email", pb.Email, "john@example.com"},
		{"FirstName", pb.Traits.FirstName, "John"},
		{"LastName", pb.Traits.LastName, "Smith"},
		{"Country", pb.Traits.Country, "US"},
		{"State", pb.Traits.State, "CA"},
		{"Zipcode", pb.Traits.Zipcode, "94025"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	valueIs(t, "Value", pb.Value, "120")
	if pb.Value.String() != "120" {
		t.Errorf("Value text %q", pb.Value.String())
	}
	if len(pb.Items) != 2 {
		t.Fatalf("items: %+v", pb.Items)
	}
	if pb.Items[0].ID != "20291" || pb.Items[0].Name != "ZX Series Headphones" || pb.Items[1].ID != "49292" || pb.Items[1].Name != "Audio Connector" {
		t.Errorf("items: %+v", pb.Items)
	}
	valueIs(t, "Items[0].Price", pb.Items[0].Price, "20")
	valueIs(t, "Items[0].Quantity", pb.Items[0].Quantity, "1")
	valueIs(t, "Items[1].Price", pb.Items[1].Price, "100")
	if len(pb.Passthrough) != 1 || pb.Passthrough[0] != (Param{"plan", "gold"}) {
		t.Errorf("passthrough: %+v", pb.Passthrough)
	}
	// JSON numbers are kept as their exact text in the log.
	for _, p := range pb.Params {
		if p.Name == "value" && p.Value != "120.00" {
			t.Errorf("logged value %q, want the exact JSON text 120.00", p.Value)
		}
	}
	roundTrip(t, pb)
}

// Seed 001: the JSON example and the query-string example are the same
// conversion, so the fields both carry resolve identically.
func TestSeed001JSONAndQueryAgree(t *testing.T) {
	type core struct {
		ClickID, ConversionType, EventName, EventSource, ValueAlias, Value, Currency, TransactionID string
		Status                                                                                      Status
		MatchKey, TransactionKey                                                                    string
	}
	project := func(pb *Postback) core {
		return core{pb.ClickID, pb.ConversionType, pb.EventName, pb.EventSource, pb.ValueAlias,
			pb.Value.String(), pb.Currency, pb.TransactionID, pb.Status, pb.MatchKey(), pb.TransactionKey()}
	}
	fromJSON := project(jsonBody(t, seed001JSON))
	fromQuery := project(q(t, seed001Query))
	if fromJSON != fromQuery {
		t.Fatalf("JSON and query examples differ:\n json %+v\nquery %+v", fromJSON, fromQuery)
	}
	// And the same query posted as a form body.
	form := project(mustParse(t, Request{Body: []byte(seed001Query), ContentType: "application/x-www-form-urlencoded"}, Integration{}))
	if form != fromQuery {
		t.Fatalf("form body differs: %+v", form)
	}
}

// Seed 000: "All parameters can be sent via GET or POST ... on the URL or on
// the request body" - the same postback in each place and format.
func TestSeed000GETorPOSTUrlOrBody(t *testing.T) {
	query := "click_id=abc&commission=4.99&currency=EUR&transaction_id=10492A"
	reqs := map[string]Request{
		"query":           {RawQuery: query},
		"form":            {Body: []byte(query), ContentType: "application/x-www-form-urlencoded"},
		"form+charset":    {Body: []byte(query), ContentType: "application/x-www-form-urlencoded; charset=UTF-8"},
		"plain text":      {Body: []byte(query + "\n"), ContentType: "text/plain"},
		"no content type": {Body: []byte(query)},
		"json":            {Body: []byte(`{"click_id":"abc","commission":4.99,"currency":"EUR","transaction_id":"10492A"}`), ContentType: "application/json"},
		"json as form":    {Body: []byte(`{"click_id":"abc","commission":"4.99","currency":"EUR","transaction_id":"10492A"}`), ContentType: "application/x-www-form-urlencoded"},
		"multipart": {Body: []byte("--XYZ\r\nContent-Disposition: form-data; name=\"click_id\"\r\n\r\nabc\r\n" +
			"--XYZ\r\nContent-Disposition: form-data; name=\"commission\"\r\n\r\n4.99\r\n" +
			"--XYZ\r\nContent-Disposition: form-data; name=\"currency\"\r\n\r\nEUR\r\n" +
			"--XYZ\r\nContent-Disposition: form-data; name=\"transaction_id\"\r\n\r\n10492A\r\n--XYZ--\r\n"),
			ContentType: "multipart/form-data; boundary=XYZ"},
		"split": {RawQuery: "click_id=abc&currency=EUR", Body: []byte(`{"commission":"4.99","transaction_id":"10492A"}`), ContentType: "application/json"},
	}
	for name, req := range reqs {
		pb, err := Parse(req, Integration{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if pb.ClickID != "abc" || pb.Currency != "EUR" || pb.TransactionID != "10492A" || pb.EventName != EventPurchase ||
			pb.Value == nil || !pb.Value.Equal(dec("4.99")) || pb.ValueAlias != "commission" {
			t.Errorf("%s: got %+v", name, pb)
		}
	}
}
