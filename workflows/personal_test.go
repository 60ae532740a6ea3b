package workflows_test

import (
	"encoding/base64"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The history recorded after signal-by-reference (internal/e2e TestRecordHistories
// sends an email, a phone, a name, an IP address and a user agent with every
// postback) holds none of them: not in its JSON, not in any payload inside it.
func TestRecordedHistoryHoldsNoPersonalData(t *testing.T) {
	raw, err := os.ReadFile("testdata/conversion_pending_approved_duplicate_rejected_v4_by_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{string(raw)}
	payloads := regexp.MustCompile(`"data":\s*"([A-Za-z0-9+/=]+)"`).FindAllSubmatch(raw, -1)
	if len(payloads) == 0 {
		t.Fatal("no payloads found: the history format changed")
	}
	for _, m := range payloads {
		dec, err := base64.StdEncoding.DecodeString(string(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(dec))
	}
	for _, text := range texts {
		for _, p := range []string{"jane.doe@example.com", "jane", "doe", "393471234567", "3471234567", "198.51.100.23", "personaltest"} {
			if strings.Contains(strings.ToLower(text), p) {
				t.Fatalf("recorded history holds %q", p)
			}
		}
	}
}
