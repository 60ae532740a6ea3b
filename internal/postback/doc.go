// Package postback turns one inbound conversion postback (GET or POST, query
// string, form, multipart or JSON body) into a canonical Postback, following
// the AnyTrack custom-integration parameter contract (seeds 000/001) and the
// FunnelFlux postback names (seed 004), with network presets on top.
//
// # Where parameters come from
//
// The raw query string and the body are both read, each in the order it was
// sent: the query is split by hand (never through a map), JSON objects are
// walked token by token so key order survives, and JSON numbers keep their
// exact text (they never pass through float64). A body is read as JSON when it
// starts with '{' (whatever the Content-Type says, since many senders label
// JSON as a form), as multipart when declared so, and otherwise as a query
// string when declared as a form or when it looks like one. A body declared
// JSON that is not JSON and not query-like is a malformed body.
//
// # Clashes and repeats
//
// For every field the query string is searched first (all aliases, in their
// documented order) and the body only when the query has nothing: the URL is
// the template the user configured, so its static values win. A parameter
// whose value is empty, whitespace or an unfilled macro (see isUnfilled) never
// counts as present, so the body, or the next alias, fills it. When a name is
// repeated, the first non-empty occurrence wins.
//
// # Names
//
// Core fields (click_id, ref_id, value, currency, transaction_id, brand_name,
// event_name, timestamp) and the FunnelFlux names (hit, vid, p, tx, rev,
// status, disable_postbacks) are matched with case ignored and '_' and '-'
// stripped. Traits, conversion_type, items and xat_* are matched exactly as
// documented. An integration's FieldMap, then its preset's field list, rename
// network parameters before any of this happens; a parameter renamed this way
// ranks after one sent under the canonical name itself.
//
// # Values
//
// Amounts are decimals, never floats: an optional sign and one currency
// symbol ("$4.99", "4,99 €") are tolerated but the symbol never sets the
// currency; a comma is the decimal separator only with no dot, one comma and
// one or two digits after it ("1,234" is refused as ambiguous). A negative
// amount is accepted only with a rejected status (a reversal). Currencies
// must be ISO 4217. Timestamps are unix seconds (milliseconds when too large
// for seconds), RFC 3339 or a common date layout, read as UTC when no zone is
// given; "0" and "0000-00-00..." count as not sent. IPs that do not parse are
// dropped rather than failing the postback.
//
// # Errors
//
// Content that breaks the contract returns *Error (HTTP 422); a body that
// cannot be read at all returns an error wrapping ErrMalformedBody (HTTP 400).
package postback
