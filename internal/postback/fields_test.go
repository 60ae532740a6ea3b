package postback

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValueParsing(t *testing.T) {
	ok := map[string]string{
		"4.99": "4.99", "120": "120", "120.00": "120", "0": "0", ".5": "0.5", "5.": "5",
		"4,99": "4.99", "1,5": "1.5", "$4.99": "4.99", "4.99$": "4.99", "€ 4,99": "4.99", "4.99 €": "4.99",
		"£10": "10", "+3": "3", " 7 ": "7", "1e3": "1000", "2.5E-1": "0.25",
		"0.000000000000000001": "0.000000000000000001", "999999999999999": "999999999999999",
		"12345678901234.123456789": "12345678901234.123456789",
	}
	for in, want := range ok {
		pb := q(t, "click_id=c&commission="+urlEscape(in))
		valueIs(t, in, pb.Value, want)
	}
	// JSON numbers keep their exact text, however many digits.
	pb := jsonBody(t, `{"click_id":"c","value":0.1000000000000000055511151231257827}`)
	if pb.Value.String() != "0.1000000000000000055511151231257827" {
		t.Errorf("JSON number went through float: %s", pb.Value)
	}
	bad := []string{
		"abc", "1,234", "1,234.56", "1.234,56", "1,2,3", "4.99.1", "0x10", "1_000", "Infinity", "NaN",
		"4.99 USD", "1e9999", "1e15", "-", "$", "--5", "5-", "1 000", "١٢٣",
	}
	for _, in := range bad {
		_, err := Parse(Request{RawQuery: "click_id=c&amount=" + urlEscape(in)}, Integration{})
		ve := validationError(t, err)
		if ve.Field != "value" || !strings.Contains(ve.Message, "amount") {
			t.Errorf("%q: %+v", in, ve)
		}
	}
}

func TestCurrency(t *testing.T) {
	for in, want := range map[string]string{
		"USD": "USD", "usd": "USD", " eur ": "EUR", "Gbp": "GBP", "XCG": "XCG", "": "", "{currency}": "",
	} {
		if got := q(t, "click_id=c&currency="+urlEscape(in)).Currency; got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{"XYZ", "US", "USDT", "$", "dollar", "HRK", "XXX", "XTS", "€"} {
		_, err := Parse(Request{RawQuery: "click_id=c&currency=" + urlEscape(in)}, Integration{})
		ve := validationError(t, err)
		if ve.Field != "currency" || !strings.Contains(ve.Message, in) {
			t.Errorf("%q: %+v", in, ve)
		}
	}
	if !IsCurrency("JPY") || IsCurrency("jpy") || IsCurrency("ABC") {
		t.Error("IsCurrency")
	}
}

func TestTimestampFormats(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	cases := map[string]time.Time{
		"1589892376":                    utc(2020, 5, 19, 12, 46, 16, 0),
		"1589892376.5":                  utc(2020, 5, 19, 12, 46, 16, 500000000),
		"1589892376123":                 utc(2020, 5, 19, 12, 46, 16, 123000000),
		"2020-05-19T12:46:16Z":          utc(2020, 5, 19, 12, 46, 16, 0),
		"2020-05-19T14:46:16+02:00":     utc(2020, 5, 19, 12, 46, 16, 0),
		"2020-05-19T12:46:16.250Z":      utc(2020, 5, 19, 12, 46, 16, 250000000),
		"2020-05-19T14:46:16+0200":      utc(2020, 5, 19, 12, 46, 16, 0),
		"2020-05-19T12:46:16":           utc(2020, 5, 19, 12, 46, 16, 0),
		"2020-05-19 12:46:16":           utc(2020, 5, 19, 12, 46, 16, 0),
		"2020-05-19 12:46:16.5":         utc(2020, 5, 19, 12, 46, 16, 500000000),
		"2020-05-19 07:46:16 -0500":     utc(2020, 5, 19, 12, 46, 16, 0),
		"2020-05-19 12:46":              utc(2020, 5, 19, 12, 46, 0, 0),
		"2020-05-19":                    utc(2020, 5, 19, 0, 0, 0, 0),
		"2020/05/19":                    utc(2020, 5, 19, 0, 0, 0, 0),
		"Tue, 19 May 2020 12:46:16 GMT": utc(2020, 5, 19, 12, 46, 16, 0),
		"May 26, 1991":                  utc(1991, 5, 26, 0, 0, 0, 0),
		"May 26 1991":                   utc(1991, 5, 26, 0, 0, 0, 0),
		"26 May 1991":                   utc(1991, 5, 26, 0, 0, 0, 0),
		"September 3, 2021":             utc(2021, 9, 3, 0, 0, 0, 0),
	}
	for in, want := range cases {
		pb := q(t, "click_id=c&timestamp="+urlEscape(in))
		if pb.Timestamp == nil || !pb.Timestamp.Equal(want) || pb.Timestamp.Location() != time.UTC {
			t.Errorf("%q: %v, want %v", in, pb.Timestamp, want)
		}
	}
	// Not sent, blank, or a network's "no date": nil, the caller uses receive time.
	for _, in := range []string{"", "{timestamp}", "0", "0000-00-00 00:00:00", "0000-00-00"} {
		if pb := q(t, "click_id=c&timestamp="+urlEscape(in)); pb.Timestamp != nil {
			t.Errorf("%q: %v, want nil", in, pb.Timestamp)
		}
	}
	for _, in := range []string{"yesterday", "12:46:16", "2020-13-01", "99999999999999999", "123456789012345", "-5", "0001-01-01", "19/05/2020"} {
		_, err := Parse(Request{RawQuery: "click_id=c&date=" + urlEscape(in)}, Integration{})
		ve := validationError(t, err)
		if ve.Field != "timestamp" || !strings.Contains(ve.Message, "date") {
			t.Errorf("%q: %+v", in, ve)
		}
	}
}

// Seed 001 items: items/line_items/products and every field alias.
func TestItems(t *testing.T) {
	for _, key := range []string{"items", "line_items", "products"} {
		pb := jsonBody(t, `{"click_id":"c","`+key+`":[{"id":"1","name":"A","variant":"red","price":"9.99","qty":2}]}`)
		if len(pb.Items) != 1 || pb.Items[0].ID != "1" || pb.Items[0].Name != "A" || pb.Items[0].Variant != "red" {
			t.Fatalf("%s: %+v", key, pb.Items)
		}
		valueIs(t, key+" price", pb.Items[0].Price, "9.99")
		valueIs(t, key+" qty", pb.Items[0].Quantity, "2")
	}
	aliases := []struct{ field, json string }{
		{"id", `"id":"X"`}, {"id", `"product_id":"X"`}, {"id", `"item_id":"X"`},
		{"name", `"name":"X"`}, {"name", `"title":"X"`}, {"name", `"label":"X"`}, {"name", `"product_name":"X"`}, {"name", `"item_name":"X"`},
		{"variant", `"variant":"X"`}, {"variant", `"variant_id":"X"`}, {"variant", `"product_variant":"X"`}, {"variant", `"item_variant":"X"`},
		{"price", `"price":3`}, {"price", `"product_price":3`}, {"price", `"item_price":"3"`},
		{"qty", `"qty":3`}, {"qty", `"quantity":3`}, {"qty", `"product_quantity":3`}, {"qty", `"item_quantity":"3"`},
	}
	for _, a := range aliases {
		pb := jsonBody(t, `{"click_id":"c","items":[{`+a.json+`}]}`)
		if len(pb.Items) != 1 {
			t.Fatalf("%s: %+v", a.json, pb.Items)
		}
		it := pb.Items[0]
		var got string
		switch a.field {
		case "id":
			got = it.ID
		case "name":
			got = it.Name
		case "variant":
			got = it.Variant
		case "price":
			got = it.Price.String()
		case "qty":
			got = it.Quantity.String()
		}
		if want := map[bool]string{true: "3", false: "X"}[a.field == "price" || a.field == "qty"]; got != want {
			t.Errorf("%s: %s = %q", a.json, a.field, got)
		}
	}
	// Documented order decides between aliases of one item field.
	pb := jsonBody(t, `{"click_id":"c","items":[{"item_name":"third","title":"second","name":"first","item_price":1,"price":2}]}`)
	if pb.Items[0].Name != "first" || pb.Items[0].Price.String() != "2" {
		t.Errorf("item alias order: %+v", pb.Items[0])
	}
	// A JSON string holding the array, from the query or a form.
	pb = q(t, "click_id=c&products="+urlEscape(`[{"product_id":"p1","quantity":"3"},"junk",{"title":"T"}]`))
	if len(pb.Items) != 2 || pb.Items[0].ID != "p1" || pb.Items[0].Quantity.String() != "3" || pb.Items[1].Name != "T" {
		t.Errorf("string items: %+v", pb.Items)
	}
	pb = jsonBody(t, `{"click_id":"c","line_items":"[{\"id\":\"s1\"}]"}`)
	if len(pb.Items) != 1 || pb.Items[0].ID != "s1" {
		t.Errorf("JSON string items: %+v", pb.Items)
	}
	// Precedence: items before line_items before products.
	pb = jsonBody(t, `{"click_id":"c","products":[{"id":"p"}],"items":[{"id":"i"}]}`)
	if pb.Items[0].ID != "i" {
		t.Errorf("items precedence: %+v", pb.Items)
	}
	// Errors name the field.
	for _, body := range []string{
		`{"click_id":"c","items":[{"price":"abc"}]}`,
		`{"click_id":"c","items":"[{\"id\":"}`,
		`{"click_id":"c","items":"not json"}`,
	} {
		_, err := Parse(Request{Body: []byte(body), ContentType: "application/json"}, Integration{})
		if ve := validationError(t, err); ve.Field != "items" {
			t.Errorf("%s: %+v", body, ve)
		}
	}
}

func TestOtherNestedJSONIsLoggedNotUsed(t *testing.T) {
	pb := jsonBody(t, `{"click_id":{"nested":"x"},"clickid":"real","meta":{"a":[1, 2]},"flag":false}`)
	if pb.ClickID != "real" {
		t.Errorf("nested object used as a value: %q", pb.ClickID)
	}
	want := []Param{{"click_id", `{"nested":"x"}`}, {"clickid", "real"}, {"meta", `{"a":[1,2]}`}, {"flag", "false"}}
	if !equalParams(pb.Params, want) {
		t.Errorf("log: %+v", pb.Params)
	}
}

func TestIPAndUserAgent(t *testing.T) {
	pb := q(t, "click_id=c&ip=92.170.247.132&user_agent=Mozilla%2F5.0")
	if pb.IP != "92.170.247.132" || pb.UserAgent != "Mozilla/5.0" {
		t.Errorf("got %q %q", pb.IP, pb.UserAgent)
	}
	if pb := q(t, "click_id=c&ip_address=2001:db8::1&ua=x"); pb.IP != "2001:db8::1" || pb.UserAgent != "x" {
		t.Errorf("aliases: %q %q", pb.IP, pb.UserAgent)
	}
	if pb := q(t, "click_id=c&ip=not-an-ip"); pb.IP != "" {
		t.Errorf("invalid IP kept: %q", pb.IP)
	}
}

// A malformed body is a distinct error that says where it broke.
func TestMalformedBody(t *testing.T) {
	cases := []struct {
		body, ct string
		offset   int64
		reason   string
	}{
		{`{"click_id": "abc", "value": 1.2.3}`, "application/json", 32, "invalid character '.'"},
		{`{"click_id": "abc",}`, "application/json", 19, "invalid character '}'"},
		{`{"click_id": "abc"`, "application/json", 18, "unexpected end of JSON input"},
		{`  {"click_id": x}`, "", 15, "invalid character 'x'"},
		{`{"a":1} trailing`, "application/json", 8, "after top-level value"},
		{`[{"click_id":"abc"}]`, "application/json", 0, "must be a JSON object"},
		{`click_id: abc`, "application/json", 0, "invalid character 'c'"},
	}
	for _, c := range cases {
		_, err := Parse(Request{RawQuery: "click_id=fine", Body: []byte(c.body), ContentType: c.ct}, Integration{})
		if !errors.Is(err, ErrMalformedBody) {
			t.Errorf("%s: want ErrMalformedBody, got %v", c.body, err)
			continue
		}
		var ve *Error
		if errors.As(err, &ve) {
			t.Errorf("%s: a malformed body must not be a validation error", c.body)
		}
		var mb *MalformedBodyError
		if !errors.As(err, &mb) || mb.Offset != c.offset || !strings.Contains(err.Error(), c.reason) ||
			!strings.HasPrefix(err.Error(), "malformed JSON body at offset ") {
			t.Errorf("%s: %v (offset %d, want %d)", c.body, err, mb.Offset, c.offset)
		}
	}
	_, err := Parse(Request{Body: []byte("--X\r\nbroken"), ContentType: "multipart/form-data; boundary=X"}, Integration{})
	if !errors.Is(err, ErrMalformedBody) {
		t.Errorf("multipart: %v", err)
	}
	// Not malformed: a plain body that is no query is ignored; a JSON-labelled
	// form is read as a form.
	if _, err := Parse(Request{RawQuery: "click_id=c", Body: []byte("hello world"), ContentType: "text/plain"}, Integration{}); err != nil {
		t.Errorf("plain text: %v", err)
	}
	if pb := mustParse(t, Request{Body: []byte("click_id=c"), ContentType: "application/json"}, Integration{}); pb.ClickID != "c" {
		t.Errorf("mislabelled form: %+v", pb)
	}
}

func TestUnknownPreset(t *testing.T) {
	_, err := Parse(Request{RawQuery: "click_id=c"}, Integration{Preset: "nope"})
	if !errors.Is(err, ErrUnknownPreset) {
		t.Fatalf("got %v", err)
	}
}

func TestQueryDecoding(t *testing.T) {
	pb := q(t, "?click_id=a%2Bb+c&bad=%zz%4&&=orphan&name=%E2%82%AC&flag&x=%FF")
	want := []Param{{"click_id", "a+b c"}, {"bad", "%zz%4"}, {"name", "€"}, {"flag", ""}, {"x", "\uFFFD"}}
	if !equalParams(pb.Params, want) {
		t.Errorf("got %+v", pb.Params)
	}
	pb = q(t, "click_id=a%00b")
	if pb.ClickID != "a\uFFFDb" {
		t.Errorf("NUL kept: %q", pb.ClickID)
	}
}
