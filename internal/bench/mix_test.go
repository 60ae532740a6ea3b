package bench

import (
	"strconv"
	"strings"
	"testing"
)

func TestBuildMix(t *testing.T) {
	clicks := make([]string, 40)
	for i := range clicks {
		clicks[i] = "k" + strconv.Itoa(i)
	}
	m := buildMix("S-", 40, clicks)
	// Per 20: 12 approved, 4 pending then approved, 3 approved then a duplicate, 1 suppressed.
	if len(m.postbacks) != 40 || m.count() != 54 || m.deliveries != 76 || m.suppressed != 2 || m.duplicates != 6 {
		t.Fatalf("mix: %d conversions, %d postbacks, %d deliveries, %d suppressed, %d duplicates",
			len(m.postbacks), m.count(), m.deliveries, m.suppressed, m.duplicates)
	}
	if w0, w1 := m.wave(0), m.wave(1); len(w0) != 40 || len(w1) != 14 || len(m.wave(2)) != 0 {
		t.Fatalf("waves: %d, %d", len(w0), len(w1))
	}
	if p := m.postbacks[12]; !strings.Contains(p[0], "transaction_id=S-12&") || !strings.Contains(p[0], "status=pending") ||
		!strings.Contains(p[1], "status=approved") || !strings.Contains(p[0], "click_id=k12&") {
		t.Fatalf("conversion 12: %q", p)
	}
}

// mixPath names the path buildMix gives each conversion.
func TestMixPath(t *testing.T) {
	clicks := make([]string, 40)
	m := buildMix("S-", 40, clicks)
	for i, p := range m.postbacks {
		var want string
		switch {
		case len(p) == 1 && strings.Contains(p[0], "disable_postbacks=1"):
			want = PathSuppress
		case len(p) == 1:
			want = PathOne
		case strings.Contains(p[0], "status=pending"):
			want = PathPending
		default:
			want = PathDuplicate
		}
		if got := mixPath(i); got != want {
			t.Errorf("conversion %d %q: path %q, want %q", i, p, got, want)
		}
	}
}
