// Package version says which build of Convrelay is running: the release set at link
// time (-ldflags "-X github.com/convrelay/convrelay/internal/version.Release=v1.2.3"),
// else the VCS revision Go recorded in the binary.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Release is set at link time; empty in a development build.
var Release = ""

// String is one line: release or revision, whether the tree was modified, Go version.
func String() string {
	rel, rev, dirty := Release, "", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+modified"
				}
			}
		}
		if rel == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			rel = info.Main.Version
		}
	}
	if rel == "" {
		rel = "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		rel += " (" + rev + dirty + ")"
	}
	return fmt.Sprintf("convrelay %s %s/%s %s", rel, runtime.GOOS, runtime.GOARCH, runtime.Version())
}
