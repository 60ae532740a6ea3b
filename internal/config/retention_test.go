package config

import (
	"testing"
	"time"
)

// Conversions' personal data has a retention of its own: 180 days unless set.
func TestRetentionConversionPersonal(t *testing.T) {
	c, err := fromLookup(lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.RetentionConversionPersonal != 180*24*time.Hour {
		t.Fatalf("default = %s, want 180 days", c.RetentionConversionPersonal)
	}
	for v, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "2160h": 90 * 24 * time.Hour} {
		c, err := fromLookup(lookupFrom(map[string]string{"CONVRELAY_RETENTION_CONVERSION_PERSONAL": v}))
		if err != nil || c.RetentionConversionPersonal != want {
			t.Fatalf("%q: %s %v, want %s", v, c.RetentionConversionPersonal, err, want)
		}
	}
}
