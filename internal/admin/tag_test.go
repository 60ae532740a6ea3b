package admin

import "testing"

// TestNormalizeOrigin: origins are compared as a browser sends them.
func TestNormalizeOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://Shop.Example/":     "https://shop.example",
		"https://shop.example:443":  "https://shop.example",
		"http://127.0.0.1:8080":     "http://127.0.0.1:8080",
		"http://[::1]:3000":         "http://[::1]:3000",
		"https://shop.example/path": "",
		"https://shop.example/?q=1": "",
		"ftp://shop.example":        "",
		"shop.example":              "",
		"https://user@shop.example": "",
		"":                          "",
		"null":                      "",
		"https://shop.example#frag": "",
	} {
		got, ok := NormalizeOrigin(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
