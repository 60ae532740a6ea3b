package destinations

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// phoneE164 returns the number in E.164 form ("+" and digits), or "" when it
// is not a valid number. libphonenumber's metadata decides: it knows each
// country's trunk prefix (the Russian 8, the UK 0), that Italian numbers keep
// their leading 0 or start with 3, the lengths each range allows. A number
// that is not valid is dropped rather than hashed: a wrong number hashes to
// no match, or worse to someone else.
//
// region is where a national number is read from: the user's country
// (name or code, see normalizeCountry), else defaultRegion (the account's,
// when known). A number written internationally ('+' or the "00" call
// prefix) needs neither. Without any region a number is read as already
// starting with its country code, as Meta does.
func phoneE164(raw, country, defaultRegion string) string {
	s := strings.TrimSpace(raw)
	if s == "" {
		return ""
	}
	// "00" is the international call prefix almost everywhere and no
	// national number starts with it, so it is read as '+' whatever the
	// region (libphonenumber only knows it for regions dialling 00).
	if d := digitsOnly(s); !strings.HasPrefix(s, "+") && strings.HasPrefix(d, "00") {
		s = "+" + d[2:]
	}
	region := strings.ToUpper(normalizeCountry(country))
	if region == "" {
		region = strings.ToUpper(normalizeCountry(defaultRegion))
	}
	if region != "" {
		if e := validE164(s, region); e != "" {
			return e
		}
	}
	if strings.HasPrefix(s, "+") {
		return validE164(s, "")
	}
	// No region, or not valid there: the digits may still carry their
	// country code without the '+' ("16505551212").
	return validE164("+"+digitsOnly(s), "")
}

func validE164(s, region string) string {
	if region == "" {
		region = "ZZ" // libphonenumber's "unknown": only '+' numbers parse
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return ""
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}

// normalizePhoneMeta is Meta's ph rule: digits with country code, no '+'.
func normalizePhoneMeta(raw, country, defaultRegion string) string {
	return strings.TrimPrefix(phoneE164(raw, country, defaultRegion), "+")
}

// normalizePhoneE164 is the TikTok and Google rule: E.164 with a leading '+'.
func normalizePhoneE164(raw, country, defaultRegion string) string {
	return phoneE164(raw, country, defaultRegion)
}
