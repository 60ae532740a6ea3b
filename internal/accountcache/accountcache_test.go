package accountcache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// An account is read once per lifetime; a settings change is seen at once after
// ForgetAccount; an unknown id is remembered as not found, and a database error
// is never remembered nor read as not found.
func TestReaderLifetimeForgetAndErrors(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	acct, _, err := st.CreateAccount(ctx, store.Account{Name: "cache", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_000_000, 0)
	r := New(st, time.Minute)
	r.now = func() time.Time { return now }

	if a, err := r.Account(ctx, acct.ID); err != nil || a.Currency != "EUR" {
		t.Fatalf("first read: %v %v", a, err)
	}
	if _, err := st.UpdateAccountSettings(ctx, acct.ID, store.AccountSettings{Currency: "USD", Timezone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	if a, _ := r.Account(ctx, acct.ID); a.Currency != "EUR" {
		t.Fatalf("within its lifetime the reader read the database again: %s", a.Currency)
	}
	now = now.Add(time.Minute)
	if a, _ := r.Account(ctx, acct.ID); a.Currency != "USD" {
		t.Fatalf("after its lifetime: %s, want the new USD", a.Currency)
	}
	if _, err := st.UpdateAccountSettings(ctx, acct.ID, store.AccountSettings{Currency: "GBP", Timezone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	r.ForgetAccount(acct.ID)
	if a, _ := r.Account(ctx, acct.ID); a.Currency != "GBP" {
		t.Fatalf("after ForgetAccount: %s, want GBP", a.Currency)
	}
	if _, err := r.Account(ctx, "no-such-account"); !store.IsNotFound(err) {
		t.Fatalf("unknown account: %v, want not found", err)
	}

	// A database that fails: the error is passed on, not cached, not "not found".
	broken := New(st, time.Minute)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := broken.Account(cctx, acct.ID); err == nil || store.IsNotFound(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a failing database: %v, want the failure itself", err)
	}
	if a, err := broken.Account(ctx, acct.ID); err != nil || a.ID != acct.ID {
		t.Fatalf("after a failure the next read must ask again: %v %v", a, err)
	}
}

// The maps never grow past maxEntries, whatever a sender cycles through.
func TestReaderIsBounded(t *testing.T) {
	now := time.Unix(0, 0)
	m := map[string]entry[int]{}
	for i := 0; i < maxEntries; i++ {
		m[string(rune(i))+"k"] = entry[int]{at: now.Add(time.Duration(i) * time.Millisecond)}
	}
	evictOldest(m, now.Add(time.Second), 5*time.Second)
	if len(m) >= maxEntries {
		t.Fatalf("after eviction %d entries, want fewer than %d", len(m), maxEntries)
	}
}
