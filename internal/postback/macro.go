package postback

import "strings"

// isUnfilled reports whether a (trimmed) value is a placeholder the sender
// never substituted. Such values must never become a click id or an amount.
// The whole value must be the placeholder:
//
//	{x} {{x}} ${x}     Everflow, Affise, AnyTrack, Impact, most trackers
//	#x#                CAKE
//	!!!x!!!            seed 001/design examples
//	--CLICK-ID--       AnyTrack AutoTag (upper case, digits, '-', '_')
//	[x] [[x]]          bracket-style networks
//	%x% $x$ <x>        percent/dollar/angle styles
//	REPLACE OPTIONAL   Voluum and FunnelFlux template fillers
//	null undefined (null)  what scripting languages print for "nothing"
//
// For the single-character delimiters the inside must look like a macro name
// (letters, digits, '_', '.', '-', ':', at least one letter), so "$5$" or
// "#123#" stay values.
func isUnfilled(v string) bool {
	if len(v) < 2 {
		return false
	}
	switch v {
	case "REPLACE", "OPTIONAL":
		return true
	}
	switch strings.ToLower(v) {
	case "null", "undefined", "(null)":
		return true
	}
	first, last := v[0], v[len(v)-1]
	switch {
	case first == '{' && last == '}':
		return true
	case strings.HasPrefix(v, "${") && last == '}':
		return true
	case len(v) > 6 && strings.HasPrefix(v, "!!!") && strings.HasSuffix(v, "!!!"):
		return true
	case len(v) > 4 && strings.HasPrefix(v, "--") && strings.HasSuffix(v, "--"):
		return isUpperMacro(v[2 : len(v)-2])
	case first == '[' && last == ']':
		return isMacroName(strings.TrimRight(strings.TrimLeft(v, "["), "]"))
	case first == last && (first == '#' || first == '%' || first == '$'):
		return isMacroName(v[1 : len(v)-1])
	case first == '<' && last == '>':
		return isMacroName(v[1 : len(v)-1])
	}
	return false
}

func isMacroName(s string) bool {
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9', c == '_', c == '.', c == '-', c == ':':
		default:
			return false
		}
	}
	return letter
}

func isUpperMacro(s string) bool {
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return letter
}

// clean trims a value and blanks unfilled macros, so "present" means useful.
func clean(v string) string {
	v = strings.TrimSpace(v)
	if isUnfilled(v) {
		return ""
	}
	return v
}
