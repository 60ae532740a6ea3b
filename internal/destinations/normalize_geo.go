package destinations

import "strings"

// normalizeState is Meta's st rule: the 2-letter ANSI code for US states
// (full names are mapped), otherwise lower-case letters only.
func normalizeState(s, country string) string {
	l := lettersOnly(s)
	if l == "" {
		return ""
	}
	c := normalizeCountry(country)
	if c == "us" || c == "" {
		if code, ok := usStates[l]; ok {
			return code
		}
	}
	return l
}

// usStates maps names (letters only, as lettersOnly leaves them) to codes.
var usStates = map[string]string{
	"alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca", "colorado": "co",
	"connecticut": "ct", "delaware": "de", "districtofcolumbia": "dc", "florida": "fl", "georgia": "ga",
	"hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in", "iowa": "ia", "kansas": "ks",
	"kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md", "massachusetts": "ma",
	"michigan": "mi", "minnesota": "mn", "mississippi": "ms", "missouri": "mo", "montana": "mt",
	"nebraska": "ne", "nevada": "nv", "newhampshire": "nh", "newjersey": "nj", "newmexico": "nm",
	"newyork": "ny", "northcarolina": "nc", "northdakota": "nd", "ohio": "oh", "oklahoma": "ok",
	"oregon": "or", "pennsylvania": "pa", "rhodeisland": "ri", "southcarolina": "sc", "southdakota": "sd",
	"tennessee": "tn", "texas": "tx", "utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa",
	"westvirginia": "wv", "wisconsin": "wi", "wyoming": "wy", "puertorico": "pr",
}

// normalizeZip is Meta's zp rule: lower-case, no spaces or dashes; US codes
// keep only the first 5 digits (ZIP+4 is not matched on).
func normalizeZip(s, country string) string {
	z := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '-':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
	if z == "" {
		return ""
	}
	c := normalizeCountry(country)
	if (c == "us" || c == "") && isDigits(z) && (len(z) == 5 || len(z) == 9) {
		return z[:5]
	}
	return z
}
