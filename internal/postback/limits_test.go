package postback

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLimitsRefuseWhatCannotBeStored(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	long := strings.Repeat("x", 256)
	cases := []struct {
		name, query, field string
	}{
		{"click id", "click_id=" + long, "click_id"},
		{"transaction id", "click_id=c&transaction_id=" + long, "transaction_id"},
		{"ref id", "ref_id=" + long, "ref_id"},
		{"event name", "click_id=c&event_name=" + long, "event_name"},
		{"brand", "click_id=c&brand_name=" + long, "brand_name"},
		{"passthrough", "click_id=c&xat_sub=" + strings.Repeat("y", 2049), "xat_sub"},
		{"future", "click_id=c&timestamp=" + now.Add(25*time.Hour).Format(time.RFC3339), "timestamp"},
		{"far past", "click_id=c&timestamp=1990-01-01", "timestamp"},
	}
	for _, c := range cases {
		pb, err := Parse(Request{RawQuery: c.query}, Integration{Preset: "custom"})
		if err != nil {
			t.Fatalf("%s: parse: %v", c.name, err)
		}
		err = DefaultLimits.Check(pb, now)
		var ferr *Error
		if !errors.As(err, &ferr) || ferr.Field != c.field {
			t.Errorf("%s: Check = %v, want an error naming %s", c.name, err, c.field)
		}
	}
	// At the limit is fine.
	ok := "click_id=" + strings.Repeat("x", 255) + "&timestamp=" + now.Add(23*time.Hour).Format(time.RFC3339)
	pb, err := Parse(Request{RawQuery: ok}, Integration{Preset: "custom"})
	if err != nil {
		t.Fatal(err)
	}
	if err := DefaultLimits.Check(pb, now); err != nil {
		t.Fatalf("at the limits: %v", err)
	}
}

func TestLimitsCountParameters(t *testing.T) {
	q := "click_id=c" + strings.Repeat("&a=1", 300)
	pb, err := Parse(Request{RawQuery: q}, Integration{Preset: "custom"})
	if err != nil {
		t.Fatal(err)
	}
	var tooBig *TooLargeError
	if err := DefaultLimits.Check(pb, time.Now()); !errors.As(err, &tooBig) {
		t.Fatalf("301 parameters: %v, want TooLargeError", err)
	}
	if err := DefaultLimits.CheckCanonical(make([]byte, 64<<10+1)); !errors.As(err, &tooBig) {
		t.Fatalf("canonical over 64 KiB: %v, want TooLargeError", err)
	}
}
