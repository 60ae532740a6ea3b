package postback

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxKeyLen bounds keys: they become Temporal workflow ids.
const maxKeyLen = 200

// MatchKey names the identity the conversion is attributed by, strongest
// first: "click:<id>" (click_id or hit), "ref:<id>", "visitor:<vid>:<p>",
// "email:<lower-cased>". "" when the postback has no identity.
func (p *Postback) MatchKey() string {
	kind, parts := p.matchParts()
	if kind == "" {
		return ""
	}
	return buildKey(kind, parts...)
}

// TransactionKey identifies the transaction a postback updates: the
// transaction id itself when one was sent (escaped, so it never contains ':'
// and cannot collide with the match-key form), else the match key's parts plus
// the event ("click:<id>:<event>"). An automatic event (Lead or Purchase
// inferred from the value) is not part of the key: a status update that changes
// the value must reach the same transaction, so it counts as "conversion".
func (p *Postback) TransactionKey() string {
	if p.TransactionID != "" {
		var b strings.Builder
		escapeKeyPart(&b, p.TransactionID)
		if b.Len() <= maxKeyLen {
			return b.String()
		}
		return buildKey("tx", p.TransactionID)
	}
	kind, parts := p.matchParts()
	if kind == "" {
		return ""
	}
	event := p.EventName
	if p.EventSource == EventSourceAutomatic || event == "" {
		event = "conversion"
	}
	return buildKey(kind, append(parts, event)...)
}

func (p *Postback) matchParts() (string, []string) {
	switch {
	case p.ClickID != "":
		return "click", []string{p.ClickID}
	case p.RefID != "":
		return "ref", []string{p.RefID}
	case p.VisitorID != "":
		return "visitor", []string{p.VisitorID, p.PageID}
	case p.Email != "":
		return "email", []string{strings.ToLower(p.Email)}
	}
	return "", nil
}

// buildKey joins escaped parts with ':'. Escaping '%', ':', '#', spaces and
// anything unprintable keeps keys unambiguous and safe to display. A key
// longer than maxKeyLen becomes "<kind>#<sha256>"; a normal key always has
// ':' right after the kind, so the two forms cannot collide.
func buildKey(kind string, parts ...string) string {
	var b strings.Builder
	b.WriteString(kind)
	for _, part := range parts {
		b.WriteByte(':')
		escapeKeyPart(&b, part)
	}
	key := b.String()
	if len(key) <= maxKeyLen {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return kind + "#" + hex.EncodeToString(sum[:])
}

func escapeKeyPart(b *strings.Builder, s string) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == '%' || r == ':' || r == '#' || r == ' ' || r == utf8.RuneError || !unicode.IsPrint(r) {
			for _, c := range []byte(s[i : i+n]) {
				b.WriteByte('%')
				b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
			}
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
}

// KeyedTransactionKey is TransactionKey with personal data kept out: a transaction
// keyed by email (no transaction id, click, ref or visitor) is keyed by an HMAC of
// the lower-cased address under the installation's secret instead of the address,
// since the key becomes a Temporal workflow id that anyone with the UI can read.
func (p *Postback) KeyedTransactionKey(secret []byte) string {
	if p.TransactionID != "" {
		return p.TransactionKey()
	}
	kind, parts := p.matchParts()
	if kind != "email" {
		return p.TransactionKey()
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(parts[0]))
	event := p.EventName
	if p.EventSource == EventSourceAutomatic || event == "" {
		event = "conversion"
	}
	return buildKey("email", "h"+hex.EncodeToString(mac.Sum(nil))[:32], event)
}
