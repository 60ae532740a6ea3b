package destinations

import "strings"

// phoneDigits returns the number in international form as digits only
// (country code first, no '+'), or "" when it cannot be made into one.
//
// A number written internationally ('+' or the "00" call prefix) is taken as
// is. A national number is only completed when the user's country is known
// and the shape is unambiguous (a trunk '0', or exactly the national length);
// otherwise it is assumed to start with its country code already, as Meta
// does. Guessing wrong would hash someone else's number.
func phoneDigits(raw, country string) string {
	s := strings.TrimSpace(raw)
	if s == "" {
		return ""
	}
	intl := strings.HasPrefix(s, "+")
	d := digitsOnly(s)
	if !intl && strings.HasPrefix(d, "00") {
		d, intl = d[2:], true
	}
	if !intl {
		if p, ok := phonePlans[normalizeCountry(country)]; ok {
			switch {
			case p.trunkZero && strings.HasPrefix(d, "0") && !strings.HasPrefix(d, "00"):
				d = p.code + d[1:]
			case p.nationalLen[len(d)] && !strings.HasPrefix(d, "0"):
				d = p.code + d
			}
		}
	}
	// Meta: "remove ... any leading zeros"; no country code starts with 0.
	d = strings.TrimLeft(d, "0")
	if len(d) < 7 || len(d) > 15 { // E.164 allows at most 15 digits
		return ""
	}
	return d
}

// normalizePhoneMeta is Meta's ph rule: digits with country code, no '+'.
func normalizePhoneMeta(raw, country string) string { return phoneDigits(raw, country) }

// normalizePhoneE164 is the TikTok and Google rule: E.164 with a leading '+'.
func normalizePhoneE164(raw, country string) string {
	d := phoneDigits(raw, country)
	if d == "" {
		return ""
	}
	return "+" + d
}

type phonePlan struct {
	code        string
	trunkZero   bool         // national numbers are dialled with a leading 0
	nationalLen map[int]bool // significant-number lengths written without a prefix
}

func lens(n ...int) map[int]bool {
	m := make(map[int]bool, len(n))
	for _, v := range n {
		m[v] = true
	}
	return m
}

// phonePlans covers the countries conversions most often come from. Missing
// countries simply get no completion.
var phonePlans = map[string]phonePlan{
	"us": {"1", false, lens(10)}, "ca": {"1", false, lens(10)},
	"gb": {"44", true, lens(10)}, "ie": {"353", true, lens(9)},
	"de": {"49", true, nil}, "fr": {"33", true, lens(9)}, "es": {"34", false, lens(9)},
	"nl": {"31", true, lens(9)}, "be": {"32", true, nil}, "ch": {"41", true, lens(9)},
	"at": {"43", true, nil}, "se": {"46", true, nil}, "fi": {"358", true, nil},
	"pt": {"351", false, lens(9)}, "pl": {"48", false, lens(9)},
	"au": {"61", true, lens(9)}, "nz": {"64", true, nil},
	"in": {"91", true, lens(10)}, "br": {"55", true, lens(10, 11)}, "mx": {"52", false, lens(10)},
	"jp": {"81", true, nil}, "kr": {"82", true, nil}, "cn": {"86", true, lens(11)},
	"za": {"27", true, lens(9)}, "tr": {"90", true, lens(10)}, "ng": {"234", true, lens(10)},
	"ae": {"971", true, lens(9)}, "sa": {"966", true, lens(9)}, "il": {"972", true, lens(9)},
	"sg": {"65", false, lens(8)}, "ph": {"63", true, lens(10)}, "id": {"62", true, nil},
}
