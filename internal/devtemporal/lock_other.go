//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package devtemporal

// lockDataDir is a no-op where flock(2) is unavailable.
func lockDataDir(string) (func(), error) { return func() {}, nil }
