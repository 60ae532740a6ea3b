// Package macro is the one {macro} engine: offer URLs on the click redirect and
// traffic-source postback templates fill their macros here, the same way.
package macro

import (
	"net/url"
	"regexp"
	"strings"
)

// Pattern matches one {macro}; names are letters, digits and '_', read
// case-insensitively.
var Pattern = regexp.MustCompile(`\{([A-Za-z0-9_]+)\}`)

// Fill replaces every {macro} in tmpl with value(name), name lower-cased, encoded
// by Escape; an unknown macro (value "") becomes empty.
func Fill(tmpl string, value func(name string) string) string {
	return Pattern.ReplaceAllStringFunc(tmpl, func(m string) string {
		return Escape(value(strings.ToLower(m[1 : len(m)-1])))
	})
}

// Escape percent-encodes everything but RFC 3986 unreserved characters (a space
// is %20), so a value is inert in a path, a query or a fragment alike: it can
// never add a parameter, a path segment or a fragment.
func Escape(v string) string {
	return strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
}

// InAuthority reports whether a macro sits in the scheme, user info or host of
// a URL template, where a filled value would choose where the request goes.
func InAuthority(tmpl string) bool {
	const mark = "crmacro"
	u, err := url.Parse(Pattern.ReplaceAllString(tmpl, mark))
	if err != nil {
		return true
	}
	return strings.Contains(u.Scheme, mark) || strings.Contains(u.Host, mark) || (u.User != nil && strings.Contains(u.User.String(), mark))
}
