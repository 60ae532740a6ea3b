// Package text holds the string helpers every layer needs to store and show text
// received from outside: cut to a byte budget without splitting a character, and
// make arbitrary bytes safe for PostgreSQL text and JSON while keeping them
// readable.
package text

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Escape makes s valid UTF-8 without NUL (what a PostgreSQL text column and
// jsonb accept), keeping every byte visible: an invalid byte becomes `\xFF`,
// NUL becomes `\x00`, and a backslash before an `x` is doubled so the escape
// cannot be forged. Valid text without NUL comes back unchanged.
func Escape(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteString(`\x`)
			b.WriteString(hexByte(s[i]))
		case r == 0:
			b.WriteString(`\x00`)
		default:
			b.WriteString(s[i : i+n])
		}
		i += max(n, 1)
	}
	return b.String()
}

func hexByte(c byte) string {
	h := strconv.FormatUint(uint64(c), 16)
	if len(h) == 1 {
		h = "0" + h
	}
	return strings.ToUpper(h)
}

// Storable is outside text made fit for a text column: escaped (Escape), then
// cut to at most n bytes at a character boundary. Every path that stores text
// it did not write (intake, clicks, delivery answers, errors) goes through it.
func Storable(s string, n int) string { return Truncate(Escape(s), n) }
