package destinations

import (
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// normalizeCountry gives the ISO 3166-1 alpha-2 code, lower-case, that Meta
// asks for. Networks send codes (alpha-2, alpha-3, UN M.49 numeric: "RU",
// "RUS", "643") and names ("Russia", "Czechia", "United States"): codes are
// read by golang.org/x/text/language, which also maps retired codes to
// today's ("UK" -> GB, "TP" -> TL); names come from the CLDR display names
// in a few languages plus a small table of common other spellings. Anything
// else (a continent, "EU", a typo) is dropped.
func normalizeCountry(s string) string {
	key := countryKey(s)
	if key == "" {
		return ""
	}
	if code, ok := countryNames()[key]; ok {
		return code
	}
	if strings.ContainsRune(key, ' ') {
		return ""
	}
	r, err := language.ParseRegion(key)
	if err != nil {
		return ""
	}
	return countryCode(r)
}

// countryCode is the lower-case alpha-2 code of a country (not a continent,
// group or private-use code), or "".
func countryCode(r language.Region) string {
	r = r.Canonicalize()
	if !r.IsCountry() || r.IsPrivateUse() {
		return ""
	}
	return strings.ToLower(r.String())
}

// countryKey folds case, dots and spacing: "U.S.A." and "usa", "the
// Netherlands" and "Netherlands" meet.
func countryKey(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, ".", ""))
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimPrefix(s, "the ")
}

// countryAliases are names networks use that CLDR does not list.
var countryAliases = map[string]string{
	"america": "us", "united states of america": "us", "usa": "us", "us of a": "us",
	"great britain": "gb", "britain": "gb", "england": "gb", "scotland": "gb", "wales": "gb",
	"northern ireland": "gb", "holland": "nl", "korea": "kr", "republic of korea": "kr",
	"russian federation": "ru", "czech republic": "cz", "viet nam": "vn", "turkey": "tr",
	"uae": "ae", "ivory coast": "ci", "burma": "mm", "swaziland": "sz", "macedonia": "mk",
	"cape verde": "cv", "east timor": "tl", "vatican": "va", "persia": "ir",
}

// countryNameLanguages are the languages whose country names are accepted:
// the markets conversions most often come from.
var countryNameLanguages = []language.Tag{
	language.English, language.German, language.French, language.Spanish, language.Italian,
	language.Portuguese, language.Dutch, language.Polish, language.Russian, language.Turkish,
}

// countryNames maps folded names to codes, built once from CLDR by trying
// every two-letter code (676 of them) in each language above.
var countryNames = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, 4096)
	for _, t := range countryNameLanguages {
		namer := display.Regions(t)
		for a := 'A'; a <= 'Z'; a++ {
			for b := 'A'; b <= 'Z'; b++ {
				r, err := language.ParseRegion(string([]rune{a, b}))
				if err != nil {
					continue
				}
				code := countryCode(r)
				if code == "" || r.Canonicalize() != r {
					continue
				}
				if name := countryKey(namer.Name(r)); name != "" {
					if _, taken := m[name]; !taken {
						m[name] = code
					}
				}
			}
		}
	}
	for k, v := range countryAliases {
		m[k] = v
	}
	return m
})
