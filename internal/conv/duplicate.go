package conv

import (
	"strconv"
	"strings"
)

// DuplicateMode says what a repeated approval of an approved transaction
// means (docs/rules.md "Duplicate modes"). It is set per integration, and a
// campaign may override its integrations' choice.
type DuplicateMode string

// The duplicate modes. DuplicateIgnore is the state machine as it always was
// and the default.
const (
	DuplicateIgnore DuplicateMode = "ignore" // an exact repeat is a duplicate; a new value corrects the old one
	DuplicateNew    DuplicateMode = "new"    // each approval with a value is its own conversion (rebills)
	DuplicateEdit   DuplicateMode = "edit"   // the last postback wins: value, currency and event name
	DuplicateAdd    DuplicateMode = "add"    // values add up (deposits, upsells)
)

// DuplicateModes lists the modes in the order they are documented.
var DuplicateModes = []DuplicateMode{DuplicateIgnore, DuplicateNew, DuplicateEdit, DuplicateAdd}

// ParseDuplicateMode reads a mode; "" is the default (ignore).
func ParseDuplicateMode(s string) (DuplicateMode, error) {
	if s == "" {
		return DuplicateIgnore, nil
	}
	for _, m := range DuplicateModes {
		if string(m) == s {
			return m, nil
		}
	}
	names := make([]string, len(DuplicateModes))
	for i, m := range DuplicateModes {
		names[i] = string(m)
	}
	return "", &UnknownDuplicateModeError{Mode: s, Known: strings.Join(names, ", ")}
}

// UnknownDuplicateModeError is a mode no one knows.
type UnknownDuplicateModeError struct{ Mode, Known string }

func (e *UnknownDuplicateModeError) Error() string {
	return "duplicate_mode: unknown mode " + strconv.Quote(e.Mode) + " (" + e.Known + ")"
}

// EffectiveDuplicateMode is the mode a postback is decided with: the
// campaign's when it sets one (the more specific setting wins), else the
// integration's, else ignore. Unknown stored text reads as ignore.
func EffectiveDuplicateMode(campaign, integration string) DuplicateMode {
	for _, s := range []string{campaign, integration} {
		if s == "" {
			continue
		}
		if m, err := ParseDuplicateMode(s); err == nil {
			return m
		}
	}
	return DuplicateIgnore
}

// ConversionKey names one conversion of a transaction in idempotency keys:
// the transaction key for its own conversion (rebill 0, every conversion made
// before duplicate modes), "<key>#r<n>" for the n-th new conversion of mode
// new. Transaction keys never end that way ('#' is escaped in their parts; a
// hashed key ends in hex), so the two cannot collide.
func ConversionKey(txKey string, rebill int) string {
	if rebill == 0 {
		return txKey
	}
	return txKey + "#r" + strconv.Itoa(rebill)
}
