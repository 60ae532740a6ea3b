package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// Admin request bodies are bounded: a body of several MiB is refused 413
// before it is decoded.
func TestAdminRequestBodiesAreBounded(t *testing.T) {
	h := newHarness(t)
	big := `{"name":"` + strings.Repeat("x", 3<<20) + `","offer_url":"https://o.example/"}`
	if code, body := h.admin("POST", "/campaigns", big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 3 MiB campaign: %d %v, want 413", code, body)
	}
	if code, body := h.admin("POST", "/campaigns", `{"name":"ok","offer_url":"https://o.example/"}`); code != http.StatusCreated {
		t.Fatalf("a small campaign: %d %v", code, body)
	}
}
