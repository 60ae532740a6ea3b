package setup

import (
	"os/exec"
	"strings"
	"testing"
)

// The shared install script, in check mode, says what it would install for each
// target and never installs anything; a wrong target is refused.
func TestDepsScriptCheckMode(t *testing.T) {
	for _, target := range []string{"run", "test", "ci"} {
		out, err := exec.Command("bash", "../../scripts/deps.sh", "--check", target).CombinedOutput()
		if err != nil {
			t.Fatalf("deps.sh --check %s: %v\n%s", target, err, out)
		}
		text := string(out)
		if !strings.HasPrefix(text, "deps: nothing to install for "+target) && !strings.HasPrefix(text, "deps: would install: ") {
			t.Fatalf("deps.sh --check %s printed %q", target, text)
		}
		if target == "run" && strings.Contains(text, "chromium") {
			t.Fatalf("make run does not need Chromium: %q", text)
		}
		t.Logf("%s: %s", target, strings.TrimSpace(text))
	}
	if err := exec.Command("bash", "../../scripts/deps.sh", "--check", "bogus").Run(); err == nil {
		t.Fatal("an unknown target was accepted")
	}
}

// With a PATH that finds no tools, check mode lists what a bare machine needs.
func TestDepsScriptListsWhatABareMachineNeeds(t *testing.T) {
	cmd := exec.Command("/bin/bash", "../../scripts/deps.sh", "--check", "ci")
	cmd.Env = []string{"PATH=/nonexistent"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, pkg := range []string{"gcc", "chromium", "make"} {
		if !strings.Contains(string(out), pkg) {
			t.Fatalf("bare machine: %q does not list %s", out, pkg)
		}
	}
}
