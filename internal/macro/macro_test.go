package macro

import "testing"

func TestFillEncodesValuesAndEmptiesUnknownMacros(t *testing.T) {
	values := map[string]string{"click_id": "a b&c=d/e?f#g", "sub1": "x"}
	got := Fill("https://o.example/p/{click_id}?s={SUB1}&u={unknown}&k={click_id}", func(n string) string { return values[n] })
	want := "https://o.example/p/a%20b%26c%3Dd%2Fe%3Ff%23g?s=x&u=&k=a%20b%26c%3Dd%2Fe%3Ff%23g"
	if got != want {
		t.Fatalf("Fill = %q\nwant   %q", got, want)
	}
}

func TestInAuthority(t *testing.T) {
	for tmpl, want := range map[string]bool{
		"https://{sub1}.example/x":        true,
		"https://u:{click_id}@ex.com/":    true,
		"{scheme}://example.com/":         true,
		"https://example.com/{click_id}":  false,
		"https://example.com/?c={sub1}#f": false,
	} {
		if got := InAuthority(tmpl); got != want {
			t.Errorf("InAuthority(%q) = %v, want %v", tmpl, got, want)
		}
	}
}
