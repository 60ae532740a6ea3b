package config

import "sort"

// KnownVariables lists every environment variable the configuration reads, so
// deployment files can be checked against it.
func KnownVariables() []string {
	seen := map[string]bool{}
	_, _ = fromLookup(func(name string) (string, bool) {
		seen[name] = true
		return "", false
	})
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
