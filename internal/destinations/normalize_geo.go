package destinations

import (
	"strings"
)

// normalizeCountry gives the ISO 3166-1 alpha-2 code, lower-case, that Meta
// asks for. Networks often send a full name or an alpha-3 code, so the common
// ones are mapped; anything that does not end up as two letters is dropped.
func normalizeCountry(s string) string {
	key := strings.Join(strings.Fields(strings.ToLower(strings.Map(func(r rune) rune {
		if r == '.' {
			return -1
		}
		return r
	}, s))), " ")
	if code, ok := countryNames[key]; ok {
		return code
	}
	l := lettersOnly(s)
	if code, ok := countryAlpha3[l]; ok {
		return code
	}
	if len(l) == 2 && l[0] >= 'a' && l[0] <= 'z' && l[1] >= 'a' && l[1] <= 'z' {
		return l
	}
	return ""
}

var countryNames = map[string]string{
	"united states": "us", "united states of america": "us", "usa": "us", "us": "us", "america": "us",
	"united kingdom": "gb", "great britain": "gb", "uk": "gb", "england": "gb", "scotland": "gb", "wales": "gb",
	"canada": "ca", "australia": "au", "new zealand": "nz", "ireland": "ie",
	"germany": "de", "deutschland": "de", "france": "fr", "spain": "es", "españa": "es", "italy": "it", "italia": "it",
	"netherlands": "nl", "the netherlands": "nl", "holland": "nl", "belgium": "be", "switzerland": "ch", "austria": "at",
	"sweden": "se", "norway": "no", "denmark": "dk", "finland": "fi", "poland": "pl", "portugal": "pt",
	"brazil": "br", "brasil": "br", "mexico": "mx", "méxico": "mx", "argentina": "ar", "colombia": "co", "chile": "cl",
	"india": "in", "japan": "jp", "china": "cn", "south korea": "kr", "korea": "kr", "singapore": "sg",
	"south africa": "za", "nigeria": "ng", "turkey": "tr", "türkiye": "tr", "israel": "il",
	"united arab emirates": "ae", "uae": "ae", "saudi arabia": "sa", "philippines": "ph", "indonesia": "id",
}

var countryAlpha3 = map[string]string{
	"usa": "us", "gbr": "gb", "can": "ca", "aus": "au", "nzl": "nz", "irl": "ie", "deu": "de", "fra": "fr",
	"esp": "es", "ita": "it", "nld": "nl", "bel": "be", "che": "ch", "aut": "at", "swe": "se", "nor": "no",
	"dnk": "dk", "fin": "fi", "pol": "pl", "prt": "pt", "bra": "br", "mex": "mx", "arg": "ar", "col": "co",
	"chl": "cl", "ind": "in", "jpn": "jp", "chn": "cn", "kor": "kr", "sgp": "sg", "zaf": "za", "nga": "ng",
	"tur": "tr", "isr": "il", "are": "ae", "sau": "sa", "phl": "ph", "idn": "id",
}

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
