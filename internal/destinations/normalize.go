package destinations

import (
	"strings"
	"unicode"
)

// Normalisation shared by the platforms. Each function returns "" for a value
// that cannot be used, so callers drop the field instead of sending noise.

// normalizeEmail: trimmed and lower-cased (Meta, TikTok). Anything without a
// local part and a dotted domain is not an address.
func normalizeEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.ContainsAny(domain, "@ \t") ||
		strings.ContainsAny(local, " \t") || strings.HasSuffix(domain, ".") {
		return ""
	}
	return s
}

// normalizeGoogleEmail adds Google's extra rule for enhanced conversions:
// dots in the local part of gmail.com and googlemail.com addresses are removed
// (Gmail ignores them, so Google matches on the dotless form).
func normalizeGoogleEmail(s string) string {
	e := normalizeEmail(s)
	if e == "" {
		return ""
	}
	local, domain, _ := strings.Cut(e, "@")
	if domain == "gmail.com" || domain == "googlemail.com" {
		local = strings.ReplaceAll(local, ".", "")
		if local == "" {
			return ""
		}
	}
	return local + "@" + domain
}

// lettersOnly lower-cases and keeps letters and combining marks: Meta wants
// names and cities without punctuation, spaces or digits, but accents and
// non-Latin scripts kept as UTF-8 ("Valéry" -> "valéry", "정" stays "정").
func lettersOnly(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if unicode.IsLetter(r) || unicode.IsMark(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normalizeName is Meta's fn/ln rule.
func normalizeName(s string) string { return lettersOnly(s) }

// normalizeCity is Meta's ct rule: lower-case, no spaces or punctuation.
func normalizeCity(s string) string { return lettersOnly(s) }

// normalizeExternalID trims and lower-cases before hashing, as Meta's own
// SDKs do for every customer parameter, so server and pixel ids agree.
func normalizeExternalID(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// digitsOnly keeps ASCII digits.
func digitsOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// trimmed is for identifiers sent as they are (IP, user agent, click ids).
func trimmed(s string) string { return strings.TrimSpace(s) }
