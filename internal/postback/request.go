package postback

import (
	"strings"
	"unicode/utf8"
)

// Request is what the HTTP layer hands over: nothing is parsed yet, so the
// order parameters were sent in is still there.
type Request struct {
	RawQuery    string // the URL's raw query, order preserved
	Body        []byte
	ContentType string // e.g. "application/json", "application/x-www-form-urlencoded", "text/plain", ""
}

// Param is one name/value pair as received, kept for the postback log.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type source uint8

const (
	fromQuery source = iota
	fromBody
)

// rawParam is a received parameter plus what resolution needs to know.
type rawParam struct {
	name      string // as received
	value     string // scalar text; compact JSON text for objects and arrays
	src       source
	composite bool // a JSON object or array: never a scalar field value
	pos       int  // position in the whole request, query first

	eff    string // name after field maps; "" means ignored by resolution
	norm   string // eff normalised for core-field matching
	mapped bool   // eff came from a field map
	rank   int    // order of the mapping that produced eff
}

// parseQuery splits a raw query (or a form body) by hand so that order and
// repeats survive; bad escapes are kept literally instead of failing the
// whole request, because networks do send half-encoded values.
func parseQuery(raw string, src source) []rawParam {
	raw = strings.TrimPrefix(raw, "?")
	var out []rawParam
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		name = sanitize(unescape(name))
		if strings.TrimSpace(name) == "" {
			continue
		}
		out = append(out, rawParam{name: name, value: sanitize(unescape(value)), src: src})
	}
	return out
}

// unescape decodes %XX and '+' like a form, leaving malformed escapes as is.
func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// sanitize makes text safe to store: JSON would silently rewrite invalid
// UTF-8 (breaking round trips) and PostgreSQL jsonb rejects NUL.
func sanitize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}
