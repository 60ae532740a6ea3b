package admin

import (
	"encoding/json"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/convrelay/convrelay/internal/store"
)

// Personal data (emails, phones, names, IP addresses, user agents) is masked
// for a principal without the right to see it (Principal.SeesPersonalData):
// enough is left to tell two values apart at a glance (j***@example.com), never
// enough to contact or identify the person.

// personalNames are parameter and JSON names that hold personal data, compared
// lower-cased with '_' and '-' removed.
var personalNames = map[string]bool{
	"email": true, "em": true, "phone": true, "ph": true, "tel": true, "mobile": true,
	"firstname": true, "lastname": true, "fullname": true, "name": true, "fn": true, "ln": true,
	"birthdate": true, "dob": true, "zipcode": true, "zip": true, "city": true, "street": true, "address": true,
	"ip": true, "ipaddress": true, "ipaddr": true, "userip": true, "sourceip": true, "clientip": true,
	"useragent": true, "ua": true, "uagent": true, "deviceua": true, "clientuseragent": true,
}

func personalName(k string) bool {
	k = strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(k))
	return personalNames[k]
}

// MaskValue masks one personal value: an email keeps its first character and
// its domain (j***@example.com), an IP address its first half (203.0.*.*),
// anything else its first character (J***). Empty stays empty.
func MaskValue(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if local, domain, ok := strings.Cut(v, "@"); ok && local != "" && domain != "" {
		return firstRune(local) + "***@" + domain
	}
	if a, err := netip.ParseAddr(v); err == nil {
		if a.Is4() {
			b := a.As4()
			return itoa(int(b[0])) + "." + itoa(int(b[1])) + ".*.*"
		}
		parts := strings.SplitN(a.String(), ":", 3)
		return parts[0] + ":" + parts[1] + ":***"
	}
	return firstRune(v) + "***"
}

func firstRune(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	return string(r)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [3]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// looksLikeEmail catches an email in a field with another name (a sub, a custom parameter).
func looksLikeEmail(v string) bool {
	local, domain, ok := strings.Cut(strings.TrimSpace(v), "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(v, " /")
}

// maskIfPersonal masks v when its name is personal or it looks like an email.
func maskIfPersonal(name, v string) string {
	if personalName(name) || looksLikeEmail(v) {
		return MaskValue(v)
	}
	return v
}

// MaskJSON masks the personal values of a JSON document (by their names, at any
// depth, and any string that looks like an email). A document that is not JSON
// is returned as it is.
func MaskJSON(raw []byte) []byte {
	if len(raw) == 0 {
		return raw
	}
	var v any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return raw
	}
	out, err := json.Marshal(maskAny("", v))
	if err != nil {
		return raw
	}
	return out
}

func maskAny(name string, v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = maskAny(k, x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = maskAny(name, x)
		}
		return t
	case string:
		return maskIfPersonal(name, t)
	}
	return v
}

// MaskQuery masks the personal parameters of a query string or form body.
func MaskQuery(raw string) string {
	if raw == "" {
		return raw
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return "[masked]"
	}
	for k, vs := range vals {
		for i, v := range vs {
			vs[i] = maskIfPersonal(k, v)
		}
	}
	return vals.Encode()
}

// MaskBody masks a raw request body: JSON by names, a form by parameters.
func MaskBody(raw string) string {
	trimmed := strings.TrimSpace(raw)
	if trimmed == "" {
		return raw
	}
	if strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") {
		if json.Valid([]byte(trimmed)) {
			return string(MaskJSON([]byte(trimmed)))
		}
		return "[masked]"
	}
	return MaskQuery(trimmed)
}

// MaskLogEntry masks a postback log row.
func MaskLogEntry(e store.LogEntry) store.LogEntry {
	e.RawQuery = MaskQuery(e.RawQuery)
	e.RawBody = MaskBody(e.RawBody)
	e.SourceIP = MaskValue(e.SourceIP)
	e.Canonical = MaskJSON(e.Canonical)
	return e
}

// MaskConversion masks a conversion: its stored postback and its click's IP and user agent.
func MaskConversion(c store.Conversion) store.Conversion {
	c.Postback = MaskJSON(c.Postback)
	if c.Source != nil {
		src := *c.Source
		src.IP, src.UserAgent = MaskValue(src.IP), MaskValue(src.UserAgent)
		c.Source = &src
	}
	return c
}
