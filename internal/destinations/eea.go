package destinations

import "strings"

// eeaCountries are the 30 countries of the European Economic Area: the 27
// EU member states plus Iceland, Liechtenstein and Norway, as ISO 3166-1
// alpha-2 codes. Source: EUR-Lex glossary "European Economic Area (EEA)"
// and Eurostat's "Glossary: European Economic Area (EEA)" (EU-27 since
// 1 February 2020). golang.org/x/text has no such list; Google's EU user
// consent policy applies to the EEA (and the UK and Switzerland, which an
// operator who wants it covered sends a signal for).
var eeaCountries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true,
	"FI": true, "FR": true, "DE": true, "GR": true, "HU": true, "IE": true, "IT": true, "LV": true,
	"LT": true, "LU": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true,
	"SI": true, "ES": true, "SE": true,
	"IS": true, "LI": true, "NO": true,
}

// IsEEA reports whether an ISO 3166-1 alpha-2 country code is in the EEA.
func IsEEA(country string) bool { return eeaCountries[strings.ToUpper(strings.TrimSpace(country))] }

// EEAPolicy is what an account does with a conversion from an EEA country
// that carried no consent signal (accounts.eea_without_consent).
type EEAPolicy string

// EEA policies.
const (
	// EEASend sends it without consent fields (what every account did before).
	EEASend EEAPolicy = "send"
	// EEADenied sends it as denied for both ad_user_data and ad_personalization.
	EEADenied EEAPolicy = "denied"
	// EEASkip does not send it to ad platforms (a skipped delivery row says
	// why); webhooks and traffic-source postbacks still receive it.
	EEASkip EEAPolicy = "skip"
)

// ParseEEAPolicy reads a policy; "" is EEASend.
func ParseEEAPolicy(s string) (EEAPolicy, bool) {
	switch p := EEAPolicy(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return EEASend, true
	case EEASend, EEADenied, EEASkip:
		return p, true
	}
	return "", false
}

// IsAdPlatform reports whether t is an ad platform (consent applies), as
// opposed to the operator's webhook or a traffic-source postback.
func IsAdPlatform(t Type) bool { return counts(t) }

// ConsentFor is the consent an ad-platform delivery carries: the signal the
// conversion carried, or, for a conversion from an EEA country without one,
// what the account's policy says. skip is true when the policy is EEASkip
// and the conversion must not reach ad platforms at all.
func ConsentFor(signal Consent, country string, policy EEAPolicy) (c Consent, skip bool) {
	if !signal.IsZero() || !IsEEA(country) {
		return signal, false
	}
	switch policy {
	case EEADenied:
		return Consent{AdUserData: ConsentDenied, AdPersonalization: ConsentDenied}, false
	case EEASkip:
		return signal, true
	}
	return signal, false
}

// ConsentSkipReason is the delivery log's reason for a skipped ad-platform
// delivery of a conversion from country.
func ConsentSkipReason(country string) string {
	return "not sent: " + strings.ToUpper(country) + " is in the EEA, the conversion carried no consent signal and the " +
		"account's eea_without_consent is skip"
}
