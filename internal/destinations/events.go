package destinations

import (
	"strings"
	"unicode"
)

// Event names travel in Convrelay in Meta's spelling (Purchase, Lead,
// CompleteRegistration...). Each platform gets its own standard name where
// one exists; custom names pass through.

// metaStandardEvents lets a network's "purchase" count as Meta's standard
// Purchase instead of becoming a custom event (Meta names are case-sensitive).
var metaStandardEvents = canonicalSet(
	"AddPaymentInfo", "AddToCart", "AddToWishlist", "CompleteRegistration", "Contact",
	"CustomizeProduct", "Donate", "FindLocation", "InitiateCheckout", "Lead", "Purchase",
	"Schedule", "Search", "StartTrial", "SubmitApplication", "Subscribe", "ViewContent",
)

// tiktokStandardEvents is TikTok's current standard list. TikTok now names
// the sale "Purchase" (its old CompletePayment is a reserved alias of it) and
// has no "Lead" event: a submitted lead is "SubmitForm".
var tiktokStandardEvents = canonicalSet(
	"AddPaymentInfo", "AddToCart", "AddToWishlist", "ApplicationApproval", "CompleteRegistration",
	"Contact", "CustomizeProduct", "Download", "FindLocation", "InitiateCheckout", "Purchase",
	"Schedule", "Search", "StartTrial", "SubmitApplication", "SubmitForm", "Subscribe", "ViewContent",
)

var tiktokAliases = map[string]string{"lead": "SubmitForm"}

// ga4Events maps to GA4's recommended event names.
var ga4Events = map[string]string{
	"purchase":             "purchase",
	"lead":                 "generate_lead",
	"completeregistration": "sign_up",
	"addtocart":            "add_to_cart",
	"addtowishlist":        "add_to_wishlist",
	"addpaymentinfo":       "add_payment_info",
	"initiatecheckout":     "begin_checkout",
	"viewcontent":          "view_item",
	"search":               "search",
}

func canonicalSet(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = n
	}
	return m
}

func eventKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

func metaEventName(name string) string {
	if std, ok := metaStandardEvents[eventKey(name)]; ok {
		return std
	}
	return strings.TrimSpace(name)
}

func tiktokEventName(name string) string {
	k := eventKey(name)
	if std, ok := tiktokAliases[k]; ok {
		return std
	}
	if std, ok := tiktokStandardEvents[k]; ok {
		return std
	}
	return strings.TrimSpace(name)
}

// ga4EventName maps standard names and turns custom ones into what GA4
// accepts: letters, digits and underscores, starting with a letter, at most
// 40 characters, not using a reserved prefix. "Add To-Cart" -> "add_to_cart".
func ga4EventName(name string) string {
	if std, ok := ga4Events[eventKey(name)]; ok {
		return std
	}
	var b strings.Builder
	var prev rune
	lastUnderscore := true
	for _, r := range strings.TrimSpace(name) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			// Split camel case at a lower-to-upper step only, so "SALE"
			// stays "sale" while "BigSale" becomes "big_sale".
			if unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) && !lastUnderscore {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			lastUnderscore = false
		} else if !lastUnderscore {
			b.WriteByte('_')
			lastUnderscore = true
		}
		prev = r
	}
	s := strings.Trim(b.String(), "_")
	if s == "" {
		s = "conversion"
	}
	if s[0] < 'a' || s[0] > 'z' {
		s = "event_" + s
	}
	for _, p := range []string{"ga_", "google_", "firebase_"} {
		if strings.HasPrefix(s, p) {
			s = "cr_" + s
		}
	}
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "_")
	}
	return s
}
