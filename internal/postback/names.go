package postback

import (
	"strings"
	"unicode"
)

// alias is a documented parameter name and its normalised matching key.
type alias struct {
	name string // as documented, reported in ValueAlias
	norm string
}

// aliases builds an ordered alias list; names that normalise alike
// (click_id, clickid) collapse into the first, keeping documented order.
func aliases(names ...string) []alias {
	var out []alias
	seen := map[string]bool{}
	for _, n := range names {
		k := normalize(n)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, alias{name: n, norm: k})
	}
	return out
}

// normalize is the core-field matching rule: case ignored, '_' and '-' gone.
func normalize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// Core fields, seed 001 order, then the FunnelFlux name (seed 004) last so a
// canonical name always beats it.
var (
	aliasClickID     = aliases("click_id", "clickid", "click", "hit")
	aliasRefID       = aliases("ref_id", "refid", "ref")
	aliasValue       = aliases("value", "commission", "amount", "revenue", "total", "total_value", "event_value", "rev")
	aliasCurrency    = aliases("currency", "cur", "curr")
	aliasTransaction = aliases("transaction_id", "transactionid", "transaction", "tx")
	aliasBrand       = aliases("brand_name", "brandname", "brand")
	aliasEventName   = aliases("event_name", "eventname", "event")
	aliasTimestamp   = aliases("timestamp", "time", "date", "datetime", "created_at")
	aliasStatus      = aliases("status")
	aliasDisable     = aliases("disable_postbacks", "disable_postback")
	aliasVisitor     = aliases("vid")
	aliasPage        = aliases("p")
	aliasIP          = aliases("ip", "ip_address", "ipaddr", "user_ip")
	aliasUserAgent   = aliases("user_agent", "ua", "uagent", "device_ua")
)

// aliasEventID is the browser pixel's event id, for pixel + server
// deduplication at Meta and TikTok (not in the seeds; these are the spellings
// networks and pixel setups use).
var aliasEventID = aliases("event_id", "eventid", "pixel_event_id", "fb_event_id", "dedup_id")

// Exact-match names (seed 001: traits, conversion_type, items, xat_).
var (
	nameEmail          = []string{"email"}
	nameFirstName      = []string{"first_name", "firstName"}
	nameLastName       = []string{"last_name", "lastName"}
	nameFullName       = []string{"full_name", "fullName", "name"}
	namePhone          = []string{"phone"}
	nameBirthdate      = []string{"birthdate"}
	nameCity           = []string{"city"}
	nameState          = []string{"state"}
	nameZipcode        = []string{"zipcode"}
	nameCountry        = []string{"country"}
	nameConversionType = []string{"conversion_type"}
	nameItems          = []string{"items", "line_items", "products"}
	nameGAClientID     = []string{"ga_client_id", "client_id"}
)

const passthroughPrefix = "xat_"

// maxPassthrough is seed 001's limit on xat_ parameters.
const maxPassthrough = 5

// Item field aliases (seed 001), matched like core fields.
var (
	itemID       = aliases("id", "product_id", "item_id")
	itemName     = aliases("name", "title", "label", "product_name", "item_name")
	itemVariant  = aliases("variant", "variant_id", "product_variant", "item_variant")
	itemPrice    = aliases("price", "product_price", "item_price")
	itemQuantity = aliases("qty", "quantity", "product_quantity", "item_quantity")
)
