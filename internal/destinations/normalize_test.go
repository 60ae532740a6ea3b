package destinations

import (
	"strings"
	"testing"
)

// Meta publishes input -> normalised -> SHA-256 examples on its "Customer
// Information Parameters" page; these vectors are taken from it verbatim.
func TestMetaPublishedHashExamples(t *testing.T) {
	us := func(f func(string, string, string) string) func(string) string {
		return func(s string) string { return f(s, "US", "") }
	}
	cases := []struct {
		field, input, normalized, digest string
		norm                             func(string) string
	}{
		{"em", "John_Smith@gmail.com", "john_smith@gmail.com",
			"62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f", normalizeEmail},
		{"ph", "(650)555-1212", "16505551212",
			"e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176", us(normalizePhoneMeta)},
		{"fn", "Mary", "mary",
			"6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec", normalizeName},
		{"fn", "정", "정",
			"8fa8cd9c440be61d0151429310034083132b35975c4bea67fdd74158eb51db14", normalizeName},
		{"fn", "Valéry", "valéry",
			"08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c", normalizeName},
		{"db", "2/16/1997", "19970216",
			"01acdbf6ec7b4f478a225f1a246e5d6767eeab1a7ffa17f025265b5b94f40f0c", normalizeBirthdate},
		{"country", "United States", "us",
			"79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621", normalizeCountry},
	}
	for _, c := range cases {
		if got := c.norm(c.input); got != c.normalized {
			t.Errorf("%s %q normalised to %q, want %q", c.field, c.input, got, c.normalized)
		}
		if got := hashTrait(c.input, c.norm); got != c.digest {
			t.Errorf("%s %q hashed to %s, want Meta's %s", c.field, c.input, got, c.digest)
		}
	}
}

func TestAlreadyHashedIsNotHashedTwice(t *testing.T) {
	digest := "62A14E44F765419D10FEA99367361A727C12365E2520F32218D505ED9AA0F62F"
	for _, norm := range []func(string) string{normalizeEmail, normalizeName, normalizeCity, normalizeExternalID} {
		if got := hashTrait(" "+digest+" ", norm); got != strings.ToLower(digest) {
			t.Errorf("pre-hashed value became %s", got)
		}
	}
	if got := hashTrait("", normalizeEmail); got != "" {
		t.Errorf("empty value hashed to %q; must be left out", got)
	}
	if got := hashTrait("not an email", normalizeEmail); got != "" {
		t.Errorf("invalid email hashed to %q; must be left out", got)
	}
}

func TestEmailNormalisation(t *testing.T) {
	cases := []struct{ in, meta, google string }{
		{"  John.Smith@Gmail.com ", "john.smith@gmail.com", "johnsmith@gmail.com"},
		{"a.b.c@googlemail.com", "a.b.c@googlemail.com", "abc@googlemail.com"},
		{"Jane.Doe@Example.COM", "jane.doe@example.com", "jane.doe@example.com"}, // dots kept off Gmail
		{"j.d+tag@gmail.com", "j.d+tag@gmail.com", "jd+tag@gmail.com"},
		{"nobody", "", ""},
		{"a@b", "", ""},
	}
	for _, c := range cases {
		if got := normalizeEmail(c.in); got != c.meta {
			t.Errorf("normalizeEmail(%q) = %q, want %q", c.in, got, c.meta)
		}
		if got := normalizeGoogleEmail(c.in); got != c.google {
			t.Errorf("normalizeGoogleEmail(%q) = %q, want %q", c.in, got, c.google)
		}
	}
}

// Real shapes from many countries: the national forms people type, with
// their trunk prefixes, and what E.164 makes of them. Invalid numbers (a
// fictional UK drama range, 16 digits, a short code) must come out empty so
// nothing is hashed.
func TestPhoneNormalisation(t *testing.T) {
	cases := []struct{ name, in, country, region, e164 string }{
		{"UK shared-cost, international", "+44 844 412 4653", "", "", "+448444124653"},
		{"00 call prefix", "0044 844 412 4653", "", "", "+448444124653"},
		{"US national", "(650)555-1212", "US", "", "+16505551212"},
		{"US with 1", "1-650-555-1212", "us", "", "+16505551212"},
		{"US country by name", "650 555 1212", "United States", "", "+16505551212"},
		{"UK mobile 07", "07911 123456", "GB", "", "+447911123456"},
		{"UK mobile, country as name", "07911 123456", "United Kingdom", "", "+447911123456"},
		{"UK fictional drama range", "07700 900123", "GB", "", ""},
		{"France mobile 06", "06 12 34 56 78", "France", "", "+33612345678"},
		{"Italian mobile 3xx keeps no trunk", "347 123 4567", "IT", "", "+393471234567"},
		{"Italian landline keeps its 0", "06 6982 1234", "ITA", "", "+390669821234"},
		{"Russian with trunk 8", "8 (916) 123-45-67", "RUS", "", "+79161234567"},
		{"Russian trunk 8, numeric country", "89161234567", "643", "", "+79161234567"},
		{"German landline", "030 123456", "Deutschland", "", "+4930123456"},
		{"Dutch mobile", "06-12345678", "Netherlands", "", "+31612345678"},
		{"Czech mobile", "601 123 456", "Czechia", "", "+420601123456"},
		{"Vietnamese mobile", "0912 345 678", "Vietnam", "", "+84912345678"},
		{"Brazilian mobile", "(11) 91234-5678", "BR", "", "+5511912345678"},
		{"Indian mobile", "98765 43210", "IN", "", "+919876543210"},
		{"Japanese mobile, international", "+81 90-1234-5678", "", "", "+819012345678"},
		{"international form wins over country", "+1 (650) 555-1212", "GB", "", "+16505551212"},
		{"no country: digits carry the code", "16505551212", "", "", "+16505551212"},
		{"no country, national form: cannot tell", "07911 123456", "", "", ""},
		{"account default region", "07911 123456", "", "GB", "+447911123456"},
		{"user country beats default region", "347 123 4567", "IT", "GB", "+393471234567"},
		{"country code typed without +", "447911123456", "GB", "", "+447911123456"},
		{"16 digits", "1234567890123456", "US", "", ""},
		{"too short", "12345", "US", "", ""},
		{"empty", "", "US", "", ""},
	}
	for _, c := range cases {
		if got := normalizePhoneE164(c.in, c.country, c.region); got != c.e164 {
			t.Errorf("%s: E.164 of %q (%s/%s) = %q, want %q", c.name, c.in, c.country, c.region, got, c.e164)
		}
		if got, want := normalizePhoneMeta(c.in, c.country, c.region), strings.TrimPrefix(c.e164, "+"); got != want {
			t.Errorf("%s: Meta ph of %q = %q, want %q", c.name, c.in, got, want)
		}
		if c.e164 == "" {
			if h := hashTrait(c.in, func(s string) string { return normalizePhoneMeta(s, c.country, c.region) }); h != "" {
				t.Errorf("%s: invalid number %q was hashed", c.name, c.in)
			}
		}
	}
}

func TestCountryNormalisation(t *testing.T) {
	cases := map[string]string{
		"US": "us", "us": "us", "U.S.A.": "us", "USA": "us", "United States": "us", "united states of america": "us",
		"840": "us", "United Kingdom": "gb", "UK": "gb", "GBR": "gb", "England": "gb",
		"RUS": "ru", "Russia": "ru", "Russian Federation": "ru", "643": "ru", "Россия": "ru",
		"Czechia": "cz", "Czech Republic": "cz", "CZE": "cz", "203": "cz",
		"Vietnam": "vn", "Viet Nam": "vn", "VNM": "vn", "704": "vn",
		"DEU": "de", "germany": "de", "Deutschland": "de", "the Netherlands": "nl", "Holland": "nl",
		"Italia": "it", "España": "es", "Brasil": "br", "México": "mx", "Türkiye": "tr", "Turkey": "tr",
		"South Korea": "kr", "Côte d’Ivoire": "ci", "Ivory Coast": "ci",
		"Narnia": "", "": "", "EU": "", "150": "", "Europe": "", "ZZ": "", "XX": "", "12": "",
	}
	for in, want := range cases {
		if got := normalizeCountry(in); got != want {
			t.Errorf("normalizeCountry(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBirthdateNormalisation(t *testing.T) {
	cases := map[string]string{
		"1991-05-26":           "19910526",
		"19910526":             "19910526",
		"1991/05/26":           "19910526",
		"05/26/1991":           "19910526",
		"5/26/1991":            "19910526",
		"26/05/1991":           "19910526", // cannot be M/D/Y
		"26.05.1991":           "19910526",
		"05.06.1991":           "19910605", // dots read day first
		"May 26, 1991":         "19910526",
		"26 May 1991":          "19910526",
		"September 3 1990":     "19900903",
		"1991-05-26T00:00:00Z": "19910526",
		"1991-02-30":           "",
		"1850-01-01":           "",
		"someday":              "",
		"":                     "",
	}
	for in, want := range cases {
		if got := normalizeBirthdate(in); got != want {
			t.Errorf("normalizeBirthdate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocationNormalisation(t *testing.T) {
	if got := normalizeCity(" San Francisco, CA "); got != "sanfranciscoca" {
		t.Errorf("city = %q", got)
	}
	if got := normalizeCity("Zürich"); got != "zürich" {
		t.Errorf("city keeps accents: got %q", got)
	}
	for in, want := range map[[2]string]string{
		{"California", "US"}: "ca", {"CA", ""}: "ca", {"new york", "us"}: "ny", {"Île-de-France", "FR"}: "îledefrance",
	} {
		if got := normalizeState(in[0], in[1]); got != want {
			t.Errorf("state %q/%q = %q, want %q", in[0], in[1], got, want)
		}
	}
	for in, want := range map[[2]string]string{
		{"94025-1234", "US"}: "94025", {"940251234", ""}: "94025", {"SW1A 1AA", "GB"}: "sw1a1aa",
		{"M1 1AE", "gb"}: "m11ae", {"75018", "FR"}: "75018", {"1987", "AU"}: "1987",
	} {
		if got := normalizeZip(in[0], in[1]); got != want {
			t.Errorf("zip %q/%q = %q, want %q", in[0], in[1], got, want)
		}
	}
	if got := normalizeName(" Jean-Luc O'Neil "); got != "jeanluconeil" {
		t.Errorf("name = %q", got)
	}
}

func TestEventNameMappings(t *testing.T) {
	tiktok := map[string]string{"Purchase": "Purchase", "purchase": "Purchase", "Lead": "SubmitForm",
		"CompleteRegistration": "CompleteRegistration", "MyCustom": "MyCustom"}
	for in, want := range tiktok {
		if got := tiktokEventName(in); got != want {
			t.Errorf("tiktok %q = %q, want %q", in, got, want)
		}
	}
	ga4 := map[string]string{"Purchase": "purchase", "Lead": "generate_lead", "CompleteRegistration": "sign_up",
		"BigSale": "big_sale", "SALE": "sale", "Add To-Cart!": "add_to_cart", "2nd deposit": "event_2nd_deposit",
		"google_thing": "cr_google_thing", "": "conversion"}
	for in, want := range ga4 {
		if got := ga4EventName(in); got != want {
			t.Errorf("ga4 %q = %q, want %q", in, got, want)
		}
	}
	if got := ga4EventName(strings.Repeat("x", 60)); len(got) != 40 {
		t.Errorf("ga4 name not cut to 40: %q", got)
	}
	if got := metaEventName("purchase"); got != "Purchase" {
		t.Errorf("meta purchase = %q", got)
	}
	if got := metaEventName("FirstDeposit"); got != "FirstDeposit" {
		t.Errorf("meta custom = %q", got)
	}
}
