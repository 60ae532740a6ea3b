package store_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/pgtest"
)

// A platform's answer can hold NUL, bytes that are not UTF-8, and characters cut by
// the length bound: the delivery's bookkeeping is still written (PostgreSQL refuses
// all three in a text column), as valid text within the bound.
func TestDeliveryBookkeepingStoresAnyAnswerText(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	f := &backfillFixture{t: t, st: st, a: newAccount(t, st)}
	a := f.a
	f.destination("webhook", map[string]string{"url": "https://hooks.example/x"}, destinations.DefaultFireOn(destinations.TypeWebhook), true, nil)
	res := f.record("TEXT-1", recordOpt{to: conv.StatusApproved, value: "5"})
	if len(res.Deliveries) != 1 {
		t.Fatalf("record: %d deliveries, want 1", len(res.Deliveries))
	}
	id := res.Deliveries[0].ID

	hostile := "HTTP 500: bad\x00byte \xff\xfe " + strings.Repeat("€", 700) // 3 bytes each: the 2000-byte bound cuts one
	if err := st.RecordAttempt(ctx, id, 1, 500, hostile); err != nil {
		t.Fatalf("record attempt with hostile text: %v", err)
	}
	d, err := st.GetDelivery(ctx, a.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	checkStoredText(t, "last_error", d.LastError, 2000)
	if !strings.HasPrefix(d.LastError, "HTTP 500: bad") || !strings.HasSuffix(d.LastError, "€") {
		t.Errorf("last_error lost its text: %.40q … %q", d.LastError, d.LastError[len(d.LastError)-6:])
	}

	if _, err := st.MarkDeliveryFailed(ctx, id, "gave up\x00"+strings.Repeat("é", 300)); err != nil {
		t.Fatalf("mark failed with hostile reason: %v", err)
	}
	d, err = st.GetDelivery(ctx, a.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "failed" {
		t.Fatalf("status %s, want failed", d.Status)
	}
	// The reason goes before the last answer, cut by PostgreSQL at 2000 characters.
	checkStoredText(t, "failed last_error", d.LastError, 4*2000)
	if n := utf8.RuneCountInString(d.LastError); n > 2000 || !strings.HasPrefix(d.LastError, `gave up\x00`) {
		t.Errorf("failed last_error: %d characters, starts %.20q", n, d.LastError)
	}
}

func checkStoredText(t *testing.T, name, s string, max int) {
	t.Helper()
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || len(s) > max {
		t.Errorf("%s: valid %v, NUL %v, %d bytes (max %d)", name, utf8.ValidString(s), strings.ContainsRune(s, 0), len(s), max)
	}
}
