package destinations

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// A conversion changes over its life (pending, approved, a new value,
// rejected) and each destination takes the life events it is configured
// for. This file is the policy as pure code: which events a destination
// takes (FireOn), and which of them a state change produces (LifeEvents).

// LifeEvent is one moment of a conversion's life a destination can be told about.
type LifeEvent string

// Life events, in the order they are written.
const (
	// LifeFirst is the conversion as first recorded, whatever its status
	// (a pending one at 0.01 included): what fire_on=first always meant.
	LifeFirst LifeEvent = "first"
	// LifeApproved is the conversion becoming approved (from nothing,
	// pending, or a rejection): the first approval is what ad platforms
	// should count and bid on.
	LifeApproved LifeEvent = "approved"
	// LifeValueChange is a new value for a conversion the destination
	// already has (approved 25 -> approved 30, or the approval of a pending
	// one it got at 0.01).
	LifeValueChange LifeEvent = "value_change"
	// LifeRejected is a conversion the destination has being rejected.
	LifeRejected LifeEvent = "rejected"
)

var lifeEvents = []LifeEvent{LifeFirst, LifeApproved, LifeValueChange, LifeRejected}

// LifeEventNames are the life events a destination can take, in order.
func LifeEventNames() []string {
	out := make([]string, len(lifeEvents))
	for i, e := range lifeEvents {
		out[i] = string(e)
	}
	return out
}

// FireOn is a set of life events. Stored and shown in canonical order; read
// from a JSON array, or a string naming one event or several separated by
// commas (the single-string form of older clients: "first", "approved").
type FireOn uint8

// FireOnAll is every life event.
const FireOnAll FireOn = 1<<4 - 1 // one bit per entry of lifeEvents

func bit(e LifeEvent) FireOn {
	for i, x := range lifeEvents {
		if x == e {
			return 1 << i
		}
	}
	return 0
}

// FireOnOf makes a set.
func FireOnOf(events ...LifeEvent) FireOn {
	var f FireOn
	for _, e := range events {
		f |= bit(e)
	}
	return f
}

// Has reports whether e is in the set.
func (f FireOn) Has(e LifeEvent) bool { b := bit(e); return b != 0 && f&b != 0 }

// Events lists the set in canonical order.
func (f FireOn) Events() []LifeEvent {
	out := []LifeEvent{}
	for _, e := range lifeEvents {
		if f.Has(e) {
			out = append(out, e)
		}
	}
	return out
}

// String is the stored form: events joined by commas ("approved,rejected").
func (f FireOn) String() string {
	parts := make([]string, 0, len(lifeEvents))
	for _, e := range f.Events() {
		parts = append(parts, string(e))
	}
	return strings.Join(parts, ",")
}

// ParseFireOn reads the stored or single-string form; "all" is every event.
// "" gives the empty set (the caller applies the type's default).
func ParseFireOn(s string) (FireOn, error) {
	var f FireOn
	for _, p := range strings.Split(s, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		switch {
		case p == "":
		case p == "all":
			f |= FireOnAll
		case bit(LifeEvent(p)) != 0:
			f |= bit(LifeEvent(p))
		default:
			return 0, fmt.Errorf("fire_on: unknown life event %q (first, approved, value_change, rejected)", p)
		}
	}
	return f, nil
}

// MarshalJSON writes an array of event names.
func (f FireOn) MarshalJSON() ([]byte, error) { return json.Marshal(f.Events()) }

// UnmarshalJSON accepts an array of names or the single-string form.
func (f *FireOn) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("fire_on must be a list of life events or one name")
		}
		list = []string{s}
	}
	var out FireOn
	for _, s := range list {
		g, err := ParseFireOn(s)
		if err != nil {
			return err
		}
		out |= g
	}
	*f = out
	return nil
}

// Value stores the set as text (the destinations.fire_on column).
func (f FireOn) Value() (driver.Value, error) { return f.String(), nil }

// Scan reads the text column.
func (f *FireOn) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case nil:
	default:
		return fmt.Errorf("fire_on: cannot scan %T", src)
	}
	g, err := ParseFireOn(s)
	if err != nil {
		return err
	}
	*f = g
	return nil
}

// DefaultFireOn is what a destination of type t takes unless configured:
// ad platforms count the first approval (a pending 0.01 is not a conversion
// to bid on), and Google Ads then follows value changes and rejections with
// adjustments; traffic-source postbacks get the approval; webhooks, the
// operator's own systems, get everything.
func DefaultFireOn(t Type) FireOn {
	switch t {
	case TypeGoogleAds:
		return FireOnOf(LifeApproved, LifeValueChange, LifeRejected)
	case TypeWebhook:
		return FireOnAll
	default:
		return FireOnOf(LifeApproved)
	}
}

// AllowedFireOn is what t can be told. Meta, TikTok and GA4 have no way to
// change or take back an event they counted: a second event would count
// twice.
func AllowedFireOn(t Type) FireOn {
	switch t {
	case TypeMeta, TypeTikTok, TypeGA4:
		return FireOnOf(LifeFirst, LifeApproved)
	default:
		return FireOnAll
	}
}

// ValidateFireOn refuses an empty set and events t cannot take.
func ValidateFireOn(t Type, f FireOn) error {
	if f == 0 {
		return fmt.Errorf("fire_on: at least one life event")
	}
	if extra := f &^ AllowedFireOn(t); extra != 0 {
		return fmt.Errorf("fire_on: %s destinations cannot take %s", t, extra)
	}
	return nil
}

// counts reports whether t counts every event it receives as a conversion
// (ad platforms), as opposed to being told each change (postback, webhook).
func counts(t Type) bool {
	return t == TypeMeta || t == TypeTikTok || t == TypeGA4 || t == TypeGoogleAds
}

// ConversionState is a conversion's status ("" before it exists, pending,
// approved, rejected) and value.
type ConversionState struct {
	Status string
	Value  decimal.Decimal
}

// Delivered is what a destination already has of a conversion.
type Delivered struct {
	// Holds: it received the conversion (first, approved or a value
	// change) and no rejection since.
	Holds bool
	// Value is the value it has.
	Value decimal.Decimal
}

// After is what the destination has once e was delivered for next.
func (d Delivered) After(e LifeEvent, next ConversionState) Delivered {
	if e == LifeRejected {
		return Delivered{}
	}
	return Delivered{Holds: true, Value: next.Value}
}

// LifeEvents says which life events a state change sends to a destination of
// type t taking f, given what it already has: at most one per change.
//
//   - first: the conversion appears (prev.Status ""), unless approved is
//     also taken and it appears approved (one event per change).
//   - approved: the conversion becomes approved. An ad platform that already
//     holds it (it took first at 0.01) is not sent a second conversion: it
//     gets value_change if it takes that.
//   - value_change: the value differs from the one the destination holds.
//   - rejected: the destination holds the conversion.
func LifeEvents(t Type, f FireOn, prev, next ConversionState, sent Delivered) []LifeEvent {
	one := func(e LifeEvent) []LifeEvent {
		if f.Has(e) {
			return []LifeEvent{e}
		}
		return nil
	}
	changed := !next.Value.Equal(sent.Value)
	switch next.Status {
	case "pending":
		if prev.Status == "" && !sent.Holds {
			return one(LifeFirst)
		}
	case "approved":
		if prev.Status == "approved" {
			if sent.Holds && changed {
				return one(LifeValueChange)
			}
			return nil
		}
		// Becoming approved: from nothing, pending or rejected.
		if sent.Holds && counts(t) {
			if changed {
				return one(LifeValueChange)
			}
			return nil
		}
		if f.Has(LifeApproved) {
			return []LifeEvent{LifeApproved}
		}
		if prev.Status == "" && !sent.Holds {
			return one(LifeFirst)
		}
		if sent.Holds && changed {
			return one(LifeValueChange)
		}
	case "rejected":
		if sent.Holds && prev.Status != "rejected" {
			return one(LifeRejected)
		}
	}
	return nil
}

// KindFor is the delivery kind that sends life event e to a destination of
// type t: Google Ads gets value changes and rejections as conversion
// adjustments, a webhook a rejection as a reversal; everything else is the
// conversion in its current state (a postback's {status} says which).
func KindFor(t Type, e LifeEvent) string {
	switch {
	case t == TypeGoogleAds && e == LifeValueChange:
		return KindRestatement
	case t == TypeGoogleAds && e == LifeRejected:
		return KindRetraction
	case t == TypeWebhook && e == LifeRejected:
		return KindReversal
	}
	return KindConversion
}
