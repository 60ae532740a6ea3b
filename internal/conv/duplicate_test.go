package conv

import "testing"

func TestDuplicateModeRules(t *testing.T) {
	if m, err := ParseDuplicateMode(""); err != nil || m != DuplicateIgnore {
		t.Fatalf(`"" = %q %v, want the default ignore`, m, err)
	}
	if _, err := ParseDuplicateMode("sum"); err == nil || err.Error() != `duplicate_mode: unknown mode "sum" (ignore, new, edit, add)` {
		t.Fatalf("unknown mode: %v", err)
	}
	for _, c := range []struct {
		campaign, integration string
		want                  DuplicateMode
	}{
		{"", "", DuplicateIgnore},
		{"", "add", DuplicateAdd},
		{"new", "add", DuplicateNew},       // the campaign wins
		{"ignore", "add", DuplicateIgnore}, // also when it sets the default explicitly
		{"bogus", "edit", DuplicateEdit},   // unknown stored text is skipped
	} {
		if got := EffectiveDuplicateMode(c.campaign, c.integration); got != c.want {
			t.Errorf("EffectiveDuplicateMode(%q, %q) = %q, want %q", c.campaign, c.integration, got, c.want)
		}
	}
	// A transaction's own conversion keeps the key it always had: existing
	// idempotency keys (Google order ids, Meta event ids) do not move.
	if ConversionKey("TX-1", 0) != "TX-1" || ConversionKey("TX-1", 2) != "TX-1#r2" {
		t.Fatalf("ConversionKey = %q, %q", ConversionKey("TX-1", 0), ConversionKey("TX-1", 2))
	}
}
