package destinations

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// More tests written against mutants a gremlins run left alive (make mutate).

// A 3xx is not a success for Meta or Google Ads, whatever the body says.
func TestMultipleChoicesIsNotSuccess(t *testing.T) {
	for name, d := range map[string]func(string) Destination{"meta": metaDest, "google_ads": googleDest} {
		f := newFake(t, http.StatusMultipleChoices, `{"events_received":1,"results":[{}]}`)
		if _, de := send(t, d(f.URL), sampleConversion()); de == nil {
			t.Errorf("%s: HTTP 300 taken for a delivered event", name)
		}
	}
}

// A 64-character value that is not hex is a trait to normalise and hash, not a
// digest to pass through.
func TestSixtyFourCharacterNonDigestIsHashed(t *testing.T) {
	email := strings.Repeat("x", 64-len("@example.com")) + "@example.com"
	f := newFake(t, 200, `{"events_received":1}`)
	c := sampleConversion()
	c.User.Email = email
	if _, de := send(t, metaDest(f.URL), c); de != nil {
		t.Fatal(de)
	}
	wantHashArray(t, path(t, decode(t, f.only(t).Body), "data", 0, "user_data", "em"), email)
}

// Meta takes events up to 7 days old, the bound included.
func TestMetaSevenDayBoundIncluded(t *testing.T) {
	f := newFake(t, 200, `{"events_received":1}`)
	c := sampleConversion()
	c.EventTime = testNow.Add(-7 * 24 * time.Hour)
	if _, de := send(t, metaDest(f.URL), c); de != nil {
		t.Fatalf("event exactly 7 days old refused: %v", de)
	}
}

// Meta custom_data: sent when any of value, currency, order id or contents is
// known, each on its own; content_type only with contents.
func TestMetaCustomDataWhenAnyFieldKnown(t *testing.T) {
	bare := sampleConversion()
	bare.Value, bare.Currency, bare.TransactionID, bare.Items = decimal.Zero, "", "", nil
	cases := map[string]func(*Conversion){
		"value":    func(c *Conversion) { c.Value = decimal.NewFromInt(3) },
		"currency": func(c *Conversion) { c.Currency = "eur" },
		"order id": func(c *Conversion) { c.TransactionID = "TX-1" },
		"contents": func(c *Conversion) { c.Items = sampleConversion().Items },
	}
	for name, set := range cases {
		c := bare
		set(&c)
		f := newFake(t, 200, `{"events_received":1}`)
		if _, de := send(t, metaDest(f.URL), c); de != nil {
			t.Fatal(de)
		}
		cd, ok := path(t, decode(t, f.only(t).Body), "data", 0).(map[string]any)["custom_data"].(map[string]any)
		if !ok {
			t.Errorf("%s only: no custom_data", name)
			continue
		}
		if _, has := cd["content_type"]; has != (name == "contents") {
			t.Errorf("%s only: content_type present %v", name, has)
		}
	}
	f := newFake(t, 200, `{"events_received":1}`)
	if _, de := send(t, metaDest(f.URL), bare); de != nil {
		t.Fatal(de)
	}
	if cd, ok := path(t, decode(t, f.only(t).Body), "data", 0).(map[string]any)["custom_data"]; ok {
		t.Errorf("custom_data sent with nothing in it: %v", cd)
	}
}

// Birthdates: M/D/Y with slashes unless the first number cannot be a month,
// D.M.Y with dots or dashes unless the second cannot be; years from 1900 to
// this one.
func TestBirthdateShapesAndBounds(t *testing.T) {
	this := strconv.Itoa(time.Now().Year())
	for in, want := range map[string]string{
		"12/05/1990":    "19901205",
		"13/05/1990":    "19900513",
		"05.12.1990":    "19901205",
		"05-12-1990":    "19901205",
		"05.13.1990":    "19900513",
		"1900-01-01":    "19000101",
		this + "-01-01": this + "0101",
		"1899-12-31":    "",
	} {
		if got := normalizeBirthdate(in); got != want {
			t.Errorf("normalizeBirthdate(%q) = %q, want %q", in, got, want)
		}
	}
}

// upperASCII upper-cases a to z, the ends included.
func TestUpperASCIIBounds(t *testing.T) {
	if got := upperASCII(" azAZ09 "); got != "AZAZ09" {
		t.Fatalf("upperASCII = %q, want AZAZ09", got)
	}
}

// A traffic-source template can use {sub1} to {sub10}.
func TestPostbackSubTenMacro(t *testing.T) {
	f := newFake(t, 200, "ok")
	c := sampleConversion()
	c.Subs = map[string]string{"sub1": "one", "sub10": "ten"}
	if _, de := send(t, postbackDest(f.URL+"/pb?a={sub1}&b={sub10}", ""), c); de != nil {
		t.Fatal(de)
	}
	if q := f.only(t).Query; q.Get("a") != "one" || q.Get("b") != "ten" {
		t.Fatalf("query = %v, want a=one b=ten", q)
	}
}
