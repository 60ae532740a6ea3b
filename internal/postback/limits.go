package postback

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Limits bound what the intake accepts, so that everything answered 200 can be
// recorded in PostgreSQL and handed to Temporal (workflow ids, search attributes
// and payloads have their own limits). They are far above anything a real network
// sends; the README lists them.
type Limits struct {
	MaxIDBytes        int           // click_id, transaction_id, ref_id, vid, p, email
	MaxNameBytes      int           // event_name, conversion_type, brand_name, raw status
	MaxValueBytes     int           // any other parameter value (traits, passthrough, sub ids, item fields)
	MaxParamNameBytes int           // a parameter's name
	MaxParams         int           // parameters in query and body together
	MaxItems          int           // items of an e-commerce conversion
	MaxCanonicalBytes int           // the canonical form as stored
	MaxFutureSkew     time.Duration // a timestamp later than receive time by more than this is refused
	MaxAge            time.Duration // a timestamp earlier than receive time by more than this is refused
}

// DefaultLimits are the documented limits.
var DefaultLimits = Limits{
	MaxIDBytes:        255,
	MaxNameBytes:      255,
	MaxValueBytes:     2048,
	MaxParamNameBytes: 255,
	MaxParams:         300,
	MaxItems:          100,
	MaxCanonicalBytes: 64 << 10,
	MaxFutureSkew:     24 * time.Hour,
	MaxAge:            3 * 366 * 24 * time.Hour,
}

// TooLargeError says a postback is over a size limit (answered 413).
type TooLargeError struct{ Message string }

func (e *TooLargeError) Error() string { return e.Message }

// Check verifies a parsed postback against the limits. It returns *TooLargeError
// for counts and sizes, *Error naming the field for anything else.
func (l Limits) Check(p *Postback, receivedAt time.Time) error {
	if len(p.Params) > l.MaxParams {
		return &TooLargeError{Message: fmt.Sprintf("too many parameters: %d, at most %d", len(p.Params), l.MaxParams)}
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"click_id", p.ClickID, l.MaxIDBytes},
		{"transaction_id", p.TransactionID, l.MaxIDBytes},
		{"ref_id", p.RefID, l.MaxIDBytes},
		{"vid", p.VisitorID, l.MaxIDBytes},
		{"p", p.PageID, l.MaxIDBytes},
		{"email", p.Email, l.MaxIDBytes},
		{"event_name", p.EventName, l.MaxNameBytes},
		{"conversion_type", p.ConversionType, l.MaxNameBytes},
		{"brand_name", p.BrandName, l.MaxNameBytes},
		{"status", p.RawStatus, l.MaxNameBytes},
	} {
		if len(f.value) > f.max {
			return fieldError(f.name, "%s is %d bytes long, at most %d", f.name, len(f.value), f.max)
		}
	}
	for _, prm := range p.Params {
		if len(prm.Name) > l.MaxParamNameBytes {
			return fieldError(short(prm.Name), "parameter name %q... is %d bytes long, at most %d", short(prm.Name), len(prm.Name), l.MaxParamNameBytes)
		}
		// items is one JSON array; its fields are bounded one by one below.
		if len(prm.Value) > l.MaxValueBytes && !slices.Contains(nameItems, prm.Name) {
			return fieldError(prm.Name, "%s is %d bytes long, at most %d", short(prm.Name), len(prm.Value), l.MaxValueBytes)
		}
	}
	if len(p.Items) > l.MaxItems {
		return fieldError("items", "%d items, at most %d", len(p.Items), l.MaxItems)
	}
	for i, it := range p.Items {
		for _, v := range []string{it.ID, it.Name, it.Variant} {
			if len(v) > l.MaxNameBytes {
				return fieldError("items", "items[%d] has a field %d bytes long, at most %d", i, len(v), l.MaxNameBytes)
			}
		}
	}
	if p.Timestamp != nil {
		switch {
		case p.Timestamp.After(receivedAt.Add(l.MaxFutureSkew)):
			return fieldError("timestamp", "timestamp %s is more than %s in the future", p.Timestamp.Format(time.RFC3339), l.MaxFutureSkew)
		case p.Timestamp.Before(receivedAt.Add(-l.MaxAge)):
			return fieldError("timestamp", "timestamp %s is more than %d days in the past", p.Timestamp.Format(time.RFC3339), int(l.MaxAge.Hours()/24))
		}
	}
	return nil
}

// CheckCanonical verifies the size of the canonical form as it will be stored.
func (l Limits) CheckCanonical(canonical json.RawMessage) error {
	if len(canonical) > l.MaxCanonicalBytes {
		return &TooLargeError{Message: fmt.Sprintf("postback is %d bytes once parsed, at most %d", len(canonical), l.MaxCanonicalBytes)}
	}
	return nil
}
