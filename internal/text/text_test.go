package text

import (
	"testing"
	"unicode/utf8"
)

func TestTruncateNeverSplitsACharacter(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 2, "ab"},
		{"aé", 2, "a"}, // é is two bytes: cutting at 2 would split it
		{"aé", 3, "aé"},
		{"€x", 2, ""},
		{"abc", 0, ""},
	}
	for _, c := range cases {
		if got := Truncate(c.in, c.n); got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestEscapeKeepsBytesVisibleAndValid(t *testing.T) {
	cases := map[string]string{
		"plain":          "plain",
		"caf\xc3\xa9":    "café",
		"a\xffb":         `a\xFFb`,
		"nul\x00byte":    `nul\x00byte`,
		"\xc3":           `\xC3`,
		"ok \u2603 \xfe": "ok \u2603 \\xFE",
	}
	for in, want := range cases {
		got := Escape(in)
		if got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Escape(%q) is not valid UTF-8", in)
		}
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("a\xffb\x00")
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		if !utf8.ValidString(got) {
			t.Fatalf("not valid UTF-8: %q", got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] == 0 {
				t.Fatalf("NUL kept: %q", got)
			}
		}
		if utf8.ValidString(s) && !containsNUL(s) && got != s {
			t.Fatalf("valid text changed: %q -> %q", s, got)
		}
	})
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}
