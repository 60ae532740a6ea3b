package postback

import (
	"strings"
	"testing"
)

// Seed 001: every documented alias of every core field is accepted.
func TestCoreFieldAliases(t *testing.T) {
	type getter func(*Postback) string
	fields := []struct {
		field   string
		aliases []string
		get     getter
	}{
		{"click_id", []string{"click_id", "clickid", "click"}, func(p *Postback) string { return p.ClickID }},
		{"ref_id", []string{"ref_id", "refid", "ref"}, func(p *Postback) string { return p.RefID }},
		{"transaction_id", []string{"transaction_id", "transactionid", "transaction"}, func(p *Postback) string { return p.TransactionID }},
		{"brand_name", []string{"brand_name", "brandname", "brand"}, func(p *Postback) string { return p.BrandName }},
		{"event_name", []string{"event_name", "eventname", "event"}, func(p *Postback) string { return p.EventName }},
		{"event_id", []string{"event_id", "eventid", "eventId", "event-id", "pixel_event_id", "fb_event_id", "dedup_id"},
			func(p *Postback) string { return p.EventID }},
	}
	for _, f := range fields {
		for _, a := range f.aliases {
			query := a + "=V1"
			if f.field != "click_id" {
				query = "click_id=id&" + query
			}
			if got := f.get(q(t, query)); got != "V1" {
				t.Errorf("%s via %q = %q", f.field, a, got)
			}
		}
	}
	for _, a := range []string{"value", "commission", "amount", "revenue", "total", "total_value", "event_value"} {
		pb := q(t, "click_id=id&"+a+"=7.5")
		valueIs(t, a, pb.Value, "7.5")
		if pb.ValueAlias != a {
			t.Errorf("ValueAlias via %s = %q", a, pb.ValueAlias)
		}
	}
	for _, a := range []string{"currency", "cur", "curr"} {
		if got := q(t, "click_id=id&"+a+"=eur").Currency; got != "EUR" {
			t.Errorf("currency via %s = %q", a, got)
		}
	}
	for _, a := range []string{"timestamp", "time", "date", "datetime", "created_at"} {
		pb := q(t, "click_id=id&"+a+"=1589892376")
		if pb.Timestamp == nil || pb.Timestamp.Unix() != 1589892376 {
			t.Errorf("timestamp via %s = %v", a, pb.Timestamp)
		}
	}
}

// Seed 001: "AnyTrack reads the first one it finds" in the documented order,
// whatever order the parameters were sent in.
func TestAliasPrecedenceFollowsDocumentedOrder(t *testing.T) {
	cases := []struct {
		query string
		field func(*Postback) string
		want  string
	}{
		// click_id and clickid normalise to one name: a repeat, first sent wins;
		// click is a later alias and loses to either.
		{"click=c3&clickid=c2&click_id=c1", func(p *Postback) string { return p.ClickID }, "c2"},
		{"click=c3&click_id=c1", func(p *Postback) string { return p.ClickID }, "c1"},
		{"click=c3&clickid=c2", func(p *Postback) string { return p.ClickID }, "c2"},
		{"ref=r3&ref_id=r1&refid=r2", func(p *Postback) string { return p.RefID }, "r1"},
		{"click_id=x&ref=r3&refid=r2", func(p *Postback) string { return p.RefID }, "r2"},
		{"click_id=x&event_value=7&total_value=6&total=5&revenue=4&amount=3&commission=2&value=1", func(p *Postback) string { return p.ValueAlias + "=" + p.Value.String() }, "value=1"},
		{"click_id=x&event_value=7&total_value=6&total=5&revenue=4&amount=3&commission=2", func(p *Postback) string { return p.ValueAlias + "=" + p.Value.String() }, "commission=2"},
		{"click_id=x&event_value=7&total_value=6&total=5&revenue=4&amount=3", func(p *Postback) string { return p.ValueAlias }, "amount"},
		{"click_id=x&event_value=7&total_value=6&total=5&revenue=4", func(p *Postback) string { return p.ValueAlias }, "revenue"},
		{"click_id=x&event_value=7&total_value=6&total=5", func(p *Postback) string { return p.ValueAlias }, "total"},
		{"click_id=x&event_value=7&total_value=6", func(p *Postback) string { return p.ValueAlias }, "total_value"},
		{"click_id=x&curr=GBP&cur=JPY&currency=EUR", func(p *Postback) string { return p.Currency }, "EUR"},
		{"click_id=x&curr=GBP&cur=JPY", func(p *Postback) string { return p.Currency }, "JPY"},
		{"click_id=x&transaction=t3&transaction_id=t1&transactionid=t2", func(p *Postback) string { return p.TransactionID }, "t1"},
		{"click_id=x&transaction=t3&transactionid=t2", func(p *Postback) string { return p.TransactionID }, "t2"},
		{"click_id=x&brand=b3&brand_name=b1&brandname=b2", func(p *Postback) string { return p.BrandName }, "b1"},
		{"click_id=x&brand=b3&brandname=b2", func(p *Postback) string { return p.BrandName }, "b2"},
		{"click_id=x&event=e3&event_name=e1&eventname=e2", func(p *Postback) string { return p.EventName }, "e1"},
		{"click_id=x&event=e3&eventname=e2", func(p *Postback) string { return p.EventName }, "e2"},
		{"click_id=x&created_at=2021-01-01&datetime=2020-01-01&date=2019-01-01&time=2018-01-01&timestamp=2017-01-01", func(p *Postback) string { return p.Timestamp.Format("2006") }, "2017"},
		{"click_id=x&created_at=2021-01-01&datetime=2020-01-01&date=2019-01-01", func(p *Postback) string { return p.Timestamp.Format("2006") }, "2019"},
	}
	for _, c := range cases {
		if got := c.field(q(t, c.query)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.query, got, c.want)
		}
	}
}

// Seed 001: case is ignored and '_' and '-' stripped for core fields only.
func TestCoreFieldsIgnoreCaseUnderscoreHyphen(t *testing.T) {
	for _, name := range []string{"click_id", "clickid", "click-id", "CLICK_ID", "Click-Id", "ClickID", "click__id", "-click_id-"} {
		if got := q(t, name+"=abc").ClickID; got != "abc" {
			t.Errorf("%q: ClickID %q", name, got)
		}
	}
	pb := q(t, "Click-ID=a&Transaction-Id=t&COMMISSION=3&Currency=usd&Brand_Name=b&EVENT-NAME=E&Time-Stamp=1589892376")
	if pb.ClickID != "a" || pb.TransactionID != "t" || pb.ValueAlias != "commission" || pb.Currency != "USD" ||
		pb.BrandName != "b" || pb.EventName != "E" || pb.Timestamp == nil {
		t.Errorf("variants not matched: %+v", pb)
	}
}

// Seed 001: traits, conversion_type and xat_ match exactly as written.
func TestExactNamesDoNotNormalise(t *testing.T) {
	// Only "Email" (wrong case) is sent: it is not the identity.
	_, err := Parse(Request{RawQuery: "Email=a@b.c"}, Integration{})
	if ve := validationError(t, err); ve.Message != MsgMissingIdentity {
		t.Fatalf("Email= accepted as identity: %v", err)
	}
	pb := q(t, "click_id=c&FirstName=No&first-name=No&firstName=Yes&Last_Name=No&lastName=Smith&Phone=1&Conversion_Type=purchase&conversiontype=purchase&XAT_a=1&Xat_b=2&commission=5")
	if pb.Traits.FirstName != "Yes" || pb.Traits.LastName != "Smith" || pb.Traits.Phone != "" {
		t.Errorf("traits: %+v", pb.Traits)
	}
	if pb.ConversionType != "" || pb.EventSource != EventSourceAutomatic {
		t.Errorf("conversion_type matched loosely: %q %q", pb.ConversionType, pb.EventSource)
	}
	if len(pb.Passthrough) != 0 {
		t.Errorf("xat_ matched loosely: %+v", pb.Passthrough)
	}
	for _, n := range []string{"first_name", "firstName"} {
		if got := q(t, "click_id=c&"+n+"=Ann").Traits.FirstName; got != "Ann" {
			t.Errorf("%s: %q", n, got)
		}
	}
	for _, n := range []string{"last_name", "lastName"} {
		if got := q(t, "click_id=c&"+n+"=Lee").Traits.LastName; got != "Lee" {
			t.Errorf("%s: %q", n, got)
		}
	}
	pb = q(t, "click_id=c&phone=%2B1+(650)+555+4444&birthdate=May+26,+1991&city=Menlo+Park&state=CA&zipcode=94025&country=United+States")
	want := Traits{Phone: "+1 (650) 555 4444", Birthdate: "May 26, 1991", City: "Menlo Park", State: "CA", Zipcode: "94025", Country: "United States"}
	if pb.Traits != want {
		t.Errorf("traits %+v, want %+v", pb.Traits, want)
	}
}

// Seed 001: full_name/fullName/name fill first and last name only when they
// are not sent on their own; the split is at the first whitespace run.
func TestFullNameSplit(t *testing.T) {
	cases := []struct{ query, first, last string }{
		{"full_name=John+Smith", "John", "Smith"},
		{"fullName=John+Smith", "John", "Smith"},
		{"name=John+Smith", "John", "Smith"},
		{"name=Jean+Claude+Van+Damme", "Jean", "Claude Van Damme"},
		{"name=John%20%20%09Smith", "John", "Smith"},
		{"name=Cher", "Cher", ""},
		{"name=++John+Smith++", "John", "Smith"},
		{"name=John+Smith&first_name=Johnny", "Johnny", "Smith"},
		{"name=John+Smith&last_name=Smyth", "John", "Smyth"},
		{"name=John+Smith&first_name=A&last_name=B", "A", "B"},
		{"full_name=John+Smith&name=Other+Person", "John", "Smith"},
		{"name={name}&first_name=A", "A", ""},
	}
	for _, c := range cases {
		tr := q(t, "click_id=c&"+c.query).Traits
		if tr.FirstName != c.first || tr.LastName != c.last {
			t.Errorf("%s: got %q/%q, want %q/%q", c.query, tr.FirstName, tr.LastName, c.first, c.last)
		}
	}
}

// Seed 001 and the design: identity is click_id, ref_id or email (FunnelFlux
// adds hit and vid); otherwise the exact error text.
func TestIdentity(t *testing.T) {
	ok := []struct{ query, key string }{
		{"click_id=a", "click:a"},
		{"ref_id=r", "ref:r"},
		{"email=J.Smith@Example.com", "email:j.smith@example.com"},
		{"hit=h1", "click:h1"},
		{"vid=v1&p=p9", "visitor:v1:p9"},
		{"vid=v1", "visitor:v1:"},
		{"ref_id=r&email=e@x.y", "ref:r"},
		{"click_id=a&ref_id=r&email=e@x.y", "click:a"},
		{"hit=h&click_id=c", "click:c"},
	}
	for _, c := range ok {
		if got := q(t, c.query).MatchKey(); got != c.key {
			t.Errorf("%s: MatchKey %q, want %q", c.query, got, c.key)
		}
	}
	missing := []string{
		"", "commission=5", "click_id=", "click_id=%20%20", "click_id={click_id}&ref_id=[ref]&email=%23email%23",
		"p=page-only", "Email=x@y.z", "email=", "clickid=--CLICK-ID--",
	}
	for _, query := range missing {
		_, err := Parse(Request{RawQuery: query}, Integration{})
		ve := validationError(t, err)
		if ve.Message != "Missing click_id, ref_id and email" || ve.Error() != "Missing click_id, ref_id and email" {
			t.Errorf("%q: message %q", query, ve.Message)
		}
	}
}

// The design's macro examples and the rest of the safe set never count as
// values; look-alikes that are real values stay values.
func TestUnfilledMacros(t *testing.T) {
	unfilled := []string{
		"{click_id}", "{{payout}}", "#s2#", "!!!commission!!!", "--CLICK-ID--", "--CLICKID--", "--SUB_ID-1--",
		"{transaction.id}", "{status:lead=0 sale=1}", "${clickid}", "[clickid]", "[[clickid]]", "%clickid%",
		"$payout$", "<click_id>", "REPLACE", "OPTIONAL", "null", "NULL", "undefined", "(null)", "{}", "  {click_id}  ",
	}
	for _, v := range unfilled {
		if !isUnfilled(strings.TrimSpace(v)) {
			t.Errorf("%q should be an unfilled macro", v)
		}
		_, err := Parse(Request{RawQuery: "click_id=" + urlEscape(v)}, Integration{})
		if ve := validationError(t, err); ve.Message != MsgMissingIdentity {
			t.Errorf("click_id=%q accepted", v)
		}
	}
	values := []string{
		"abc", "#1#", "$5$", "%20%", "--", "----", "--click-id--", "[1]", "{", "}", "!!!!!!", "#", "replace", "Optional",
		"a{b}", "{a", "123", "--123--", "CAxaduSFl0fpiROSdRkptrJ5REfN2GeEnE", "[a b]", "<a b>",
	}
	for _, v := range values {
		if isUnfilled(v) {
			t.Errorf("%q should be a value", v)
		}
	}
	// In every field, not just identity: the macro leaves the field empty.
	pb := q(t, "click_id=c&commission={payout}&currency=!!!cur!!!&transaction_id=#tid#&status={status}&timestamp={ts}&event_name=--EVENT--&brand_name=[brand]&xat_a={a}&xat_b=ok")
	if pb.Value != nil || pb.Currency != "" || pb.TransactionID != "" || pb.RawStatus != "" || pb.Timestamp != nil ||
		pb.EventName != EventLead || pb.BrandName != "" || len(pb.Passthrough) != 1 {
		t.Errorf("macros leaked into fields: %+v", pb)
	}
}

func urlEscape(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", "+", "%2B", " ", "%20", "=", "%3D")
	return r.Replace(s)
}

// Empty values never count as present: the next alias, or the next
// occurrence, fills the field.
func TestEmptyValuesAreAbsent(t *testing.T) {
	pb := q(t, "click_id=&clickid=%20&click=real&value=&commission=3&currency=&cur=eur")
	if pb.ClickID != "real" || pb.ValueAlias != "commission" || pb.Currency != "EUR" {
		t.Errorf("got %+v", pb)
	}
	pb = jsonBody(t, `{"click_id": null, "clickid": "", "click": "j", "value": null, "amount": 2}`)
	if pb.ClickID != "j" || pb.ValueAlias != "amount" {
		t.Errorf("JSON null/empty: %+v", pb)
	}
}

// Repeated keys: the first non-empty occurrence wins.
func TestRepeatedKeysFirstNonEmptyWins(t *testing.T) {
	pb := q(t, "click_id=&click_id={click_id}&click_id=first&click_id=second&commission=1&commission=2")
	if pb.ClickID != "first" || pb.Value.String() != "1" {
		t.Errorf("got %q %s", pb.ClickID, pb.Value)
	}
	pb = jsonBody(t, `{"click_id":"","click_id":"first","click_id":"second"}`)
	if pb.ClickID != "first" {
		t.Errorf("JSON duplicate keys: %q", pb.ClickID)
	}
	if len(pb.Params) != 3 {
		t.Errorf("all duplicates must stay in the log: %+v", pb.Params)
	}
	pb = q(t, "Click_ID=one&click-id=two")
	if pb.ClickID != "one" {
		t.Errorf("variant repeats: %q", pb.ClickID)
	}
}

// The clash rule: the query string wins over the body, field by field, but an
// empty or unfilled query value lets the body fill it.
func TestQueryWinsOverBody(t *testing.T) {
	cases := []struct {
		name, query, body, ct string
		check                 func(*Postback) bool
	}{
		{"same name", "click_id=fromquery", `{"click_id":"frombody"}`, "application/json",
			func(p *Postback) bool { return p.ClickID == "fromquery" }},
		{"empty in query", "click_id=", `{"click_id":"frombody"}`, "application/json",
			func(p *Postback) bool { return p.ClickID == "frombody" }},
		{"macro in query", "click_id={click_id}", `{"click_id":"frombody"}`, "application/json",
			func(p *Postback) bool { return p.ClickID == "frombody" }},
		{"form body", "commission=5&click_id=q", "commission=7", "application/x-www-form-urlencoded",
			func(p *Postback) bool { return p.Value.String() == "5" }},
		{"lower alias in query beats higher alias in body", "click_id=q&commission=5", `{"value":"7"}`, "application/json",
			func(p *Postback) bool { return p.Value.String() == "5" && p.ValueAlias == "commission" }},
		{"static query value beats body", "click_id=q&event_name=CompleteRegistration&currency=EUR", `{"event_name":"Other","currency":"USD"}`, "application/json",
			func(p *Postback) bool { return p.EventName == "CompleteRegistration" && p.Currency == "EUR" }},
		{"body fills what the query lacks", "click_id=q", `{"commission":"9","transaction_id":"t"}`, "application/json",
			func(p *Postback) bool { return p.Value.String() == "9" && p.TransactionID == "t" }},
		{"traits too", "click_id=q&first_name=Q", `{"first_name":"B","last_name":"L"}`, "application/json",
			func(p *Postback) bool { return p.Traits.FirstName == "Q" && p.Traits.LastName == "L" }},
	}
	for _, c := range cases {
		pb := mustParse(t, Request{RawQuery: c.query, Body: []byte(c.body), ContentType: c.ct}, Integration{})
		if !c.check(pb) {
			t.Errorf("%s: got %+v", c.name, pb)
		}
		if pb.Params[0].Name != strings.SplitN(c.query, "=", 2)[0] {
			t.Errorf("%s: the log must list query parameters first: %+v", c.name, pb.Params)
		}
	}
}

// Seed 001 conversion_type table, case-insensitive, and its priority.
func TestConversionTypeTable(t *testing.T) {
	table := map[string]string{
		"click": "OutboundClick", "outbound_click": "OutboundClick", "outboundclick": "OutboundClick",
		"form_submit": "FormSubmit", "formsubmit": "FormSubmit",
		"lead": "Lead", "cpl": "Lead",
		"registration": "CompleteRegistration", "complete_registration": "CompleteRegistration",
		"completeregistration": "CompleteRegistration", "acquisition": "CompleteRegistration", "cpa": "CompleteRegistration",
		"purchase": "Purchase", "sale": "Purchase", "cps": "Purchase",
	}
	for ct, want := range table {
		for _, v := range []string{ct, strings.ToUpper(ct), " " + strings.ToUpper(ct[:1]) + ct[1:] + " "} {
			pb := q(t, "click_id=c&commission=0&conversion_type="+urlEscape(v))
			if pb.EventName != want || pb.EventSource != EventSourceConversionType {
				t.Errorf("conversion_type=%q: %q (%s), want %q", v, pb.EventName, pb.EventSource, want)
			}
		}
	}
	// A Lead by type stays a Lead even with a positive commission.
	if pb := q(t, "click_id=c&commission=50&conversion_type=lead"); pb.EventName != EventLead {
		t.Errorf("conversion_type must beat the automatic rule: %q", pb.EventName)
	}
	// Not in the table (these are near misses, not aliases).
	for _, v := range []string{"outbound-click", "signup", "deposit", "purchases", "form submit"} {
		_, err := Parse(Request{RawQuery: "click_id=c&conversion_type=" + urlEscape(v)}, Integration{})
		ve := validationError(t, err)
		if ve.Message != "Unknown conversion_type" || ve.Field != "conversion_type" {
			t.Errorf("conversion_type=%q: %+v", v, ve)
		}
	}
}

// Seed 001: event_name overrides conversion_type, including an unknown one;
// whitespace is trimmed.
func TestEventNamePriority(t *testing.T) {
	pb := q(t, "click_id=c&event_name=%20%20Deposit%20&conversion_type=purchase&commission=5")
	if pb.EventName != "Deposit" || pb.EventSource != EventSourceEventName || pb.ConversionType != "purchase" {
		t.Errorf("got %q %q %q", pb.EventName, pb.EventSource, pb.ConversionType)
	}
	pb = q(t, "click_id=c&event_name=FirstDeposit&conversion_type=deposit")
	if pb.EventName != "FirstDeposit" || pb.ConversionType != "deposit" {
		t.Errorf("unknown conversion_type with event_name: %q %q", pb.EventName, pb.ConversionType)
	}
	_, err := Parse(Request{RawQuery: "click_id=c&conversion_type=deposit"}, Integration{})
	if ve := validationError(t, err); ve.Message != MsgUnknownConversionType {
		t.Errorf("unknown conversion_type without event_name: %v", err)
	}
	// An empty event_name is not sent.
	_, err = Parse(Request{RawQuery: "click_id=c&conversion_type=deposit&event_name=%20"}, Integration{})
	if ve := validationError(t, err); ve.Message != MsgUnknownConversionType {
		t.Errorf("blank event_name must not override: %v", err)
	}
}

// Seed 001 "Important": Purchase only for a positive value sent as
// commission; a value under another alias, or none, is a Lead.
func TestAutomaticEvent(t *testing.T) {
	cases := []struct{ query, want string }{
		{"commission=4.99", EventPurchase},
		{"Commission=4.99", EventPurchase},
		{"commission=0", EventLead},
		{"commission=-5&status=rejected", EventLead},
		{"value=120", EventLead},
		{"amount=120", EventLead},
		{"revenue=120", EventLead},
		{"total=120", EventLead},
		{"total_value=120", EventLead},
		{"event_value=120", EventLead},
		{"rev=120", EventLead},
		{"", EventLead},
		{"value=0&commission=5", EventLead}, // value wins the alias order, so the value was not sent as commission
		{"value=&commission=5", EventPurchase},
	}
	for _, c := range cases {
		pb := q(t, "click_id=c&"+c.query)
		if pb.EventName != c.want || pb.EventSource != EventSourceAutomatic {
			t.Errorf("%q: %q (%s), want %q", c.query, pb.EventName, pb.EventSource, c.want)
		}
	}
}

// Seed 001: at most 5 non-empty xat_ parameters, prefix removed, the first 5
// in the order sent (JSON key order kept).
func TestPassthrough(t *testing.T) {
	pb := q(t, "click_id=c&xat_plan=gold&xat_empty=&xat_macro={m}&xat_b=2&xat_c=3&xat_d=4&xat_e=5&xat_f=6&xat_plan=silver")
	want := []Param{{"plan", "gold"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}}
	if !equalParams(pb.Passthrough, want) {
		t.Errorf("query: %+v", pb.Passthrough)
	}
	pb = jsonBody(t, `{"click_id":"c","xat_z":"1","xat_y":2,"xat_x":true,"xat_w":null,"xat_obj":{"a":1},"xat_v":"5","xat_u":"6","xat_t":"7"}`)
	want = []Param{{"z", "1"}, {"y", "2"}, {"x", "true"}, {"v", "5"}, {"u", "6"}}
	if !equalParams(pb.Passthrough, want) {
		t.Errorf("JSON order: %+v", pb.Passthrough)
	}
	pb = mustParse(t, Request{RawQuery: "click_id=c&xat_q=1", Body: []byte(`{"xat_b":"2","xat_q":"body"}`), ContentType: "application/json"}, Integration{})
	want = []Param{{"q", "1"}, {"b", "2"}}
	if !equalParams(pb.Passthrough, want) {
		t.Errorf("query then body: %+v", pb.Passthrough)
	}
	if pb := q(t, "click_id=c&xat_=x"); len(pb.Passthrough) != 0 {
		t.Errorf("bare prefix kept: %+v", pb.Passthrough)
	}
}

func equalParams(a, b []Param) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
