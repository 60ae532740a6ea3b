package tagjs

import "testing"

// TestScriptSize prints the script's gzipped size (make test shows it) and
// holds the bound.
func TestScriptSize(t *testing.T) {
	t.Logf("t.js: %d bytes, %d bytes gzipped (bound %d)", len(Script()), len(Gzipped()), MaxGzipped)
	if len(Gzipped()) > MaxGzipped {
		t.Fatalf("t.js is %d bytes gzipped, over the %d byte bound", len(Gzipped()), MaxGzipped)
	}
}
