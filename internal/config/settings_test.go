package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every variable the configuration reads has exactly one line in Settings, with
// its help, and every line there is read: defaults are written once, and the
// table cannot drift from the code.
func TestEverySettingHasOneDefaultAndHelpLine(t *testing.T) {
	read := KnownVariables()
	lines := map[string]int{}
	for _, s := range Settings {
		lines[s.Name]++
		if strings.TrimSpace(s.Help) == "" {
			t.Errorf("%s has no help", s.Name)
		}
		if !slices.Contains(read, s.Name) {
			t.Errorf("%s has a line in Settings but the configuration does not read it", s.Name)
		}
	}
	for _, name := range read {
		if lines[name] != 1 {
			t.Errorf("%s is read and has %d lines in Settings, want 1", name, lines[name])
		}
	}
}

// README's Configuration table names every variable, and where it gives a
// plain default (`value`, or one per name of a row; not one made of another
// variable, like `http://$HTTP_ADDR`) it is Settings' default.
func TestReadmeAgreesWithSettings(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \\|\\s*([^|]*?)\\s*\\|")
	names := regexp.MustCompile("`([A-Z_]+)`")
	documented := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(raw), -1) {
		vars := names.FindAllStringSubmatch(m[1], -1)
		defs := strings.Split(strings.TrimSpace(m[2]), ", ")
		plain := len(defs) == len(vars)
		for _, d := range defs {
			plain = plain && strings.HasPrefix(d, "`") && strings.HasSuffix(d, "`") && strings.Count(d, "`") == 2 && !strings.Contains(d, "$")
		}
		for i, v := range vars {
			documented[v[1]] = true
			s, ok := Lookup(v[1])
			if !ok {
				t.Errorf("README documents %s, which Settings lacks", v[1])
				continue
			}
			if plain && strings.Trim(defs[i], "`") != s.Default {
				t.Errorf("README gives %s the default %s, Settings %q", v[1], defs[i], s.Default)
			}
		}
	}
	for _, s := range Settings {
		if !documented[s.Name] && !strings.HasPrefix(s.Name, "OTEL_") {
			t.Errorf("%s is not in README's Configuration table", s.Name)
		}
	}
}
