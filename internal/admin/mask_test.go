package admin_test

import (
	"strings"
	"testing"

	"github.com/convrelay/convrelay/internal/admin"
)

func TestMasks(t *testing.T) {
	for in, want := range map[string]string{
		"john.doe@example.com": "j***@example.com",
		"203.0.113.7":          "203.0.*.*",
		"2001:db8::1":          "2001:db8:***",
		"+33612345678":         "+***",
		"Jöhn":                 "J***",
		"":                     "",
	} {
		if got := admin.MaskValue(in); got != want {
			t.Errorf("MaskValue(%q) = %q, want %q", in, got, want)
		}
	}
	q := admin.MaskQuery("email=ann%40example.com&phone=%2B1555&ua=Mozilla&commission=5&sub1=bob%40example.org")
	for _, raw := range []string{"ann%40", "1555", "Mozilla", "bob%40"} {
		if strings.Contains(q, raw) {
			t.Errorf("MaskQuery left %s: %s", raw, q)
		}
	}
	if !strings.Contains(q, "commission=5") {
		t.Errorf("MaskQuery changed a value that is not personal: %s", q)
	}
	j := string(admin.MaskJSON([]byte(`{"traits":{"first_name":"Ann","phone":"+1555"},"ip":"198.51.100.1","value":"12.5","items":[{"id":"sku"}]}`)))
	for _, raw := range []string{"Ann", "+1555", "198.51.100.1"} {
		if strings.Contains(j, raw) {
			t.Errorf("MaskJSON left %s: %s", raw, j)
		}
	}
	if !strings.Contains(j, `"value":"12.5"`) || !strings.Contains(j, `"id":"sku"`) {
		t.Errorf("MaskJSON changed values that are not personal: %s", j)
	}
}
