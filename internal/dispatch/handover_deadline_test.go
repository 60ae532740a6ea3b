package dispatch_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/dispatch"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// hangingAccounts answers one account at once and never answers another until
// the caller gives up: a lookup stuck on a lost connection or a starved pool.
type hangingAccounts struct {
	hangs    string
	currency string
}

func (h hangingAccounts) Account(ctx context.Context, id string) (store.Account, error) {
	if id == h.hangs {
		<-ctx.Done()
		return store.Account{}, ctx.Err()
	}
	return store.Account{ID: id, Currency: h.currency}, nil
}

// A hand-over whose account lookup never answers must not hold its lane: the
// full drill once saw every hand-over stop for 66 s with nothing in Temporal.
// The stuck postback goes on without the memo's currency (the memo is only a
// hint; the workflow records the account's currency), and the postback behind
// it in the same lane, of another account, is handed over with its currency.
func TestHungAccountLookupDoesNotHoldTheLane(t *testing.T) {
	st := pgtest.NewStore(t)
	stuck, other := newAccount(t, st, "stuck"), newAccount(t, st, "other")
	first, second := acceptedRow(t, st, stuck, "S"), acceptedRow(t, st, other, "O")
	fake := &fakeTemporal{}
	d := dispatch.New(st, fake, dispatch.Options{Shards: 1, PollInterval: 50 * time.Millisecond,
		Accounts: hangingAccounts{hangs: stuck, currency: "EUR"}})
	runUntilTestEnds(t, d)

	deadline := time.Now().Add(15 * time.Second)
	for {
		got := fake.seen()
		if slices.Contains(got, first) && slices.Contains(got, second) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("handed over only %v; want %d (its account lookup hangs) and %d behind it", got, first, second)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c, ok := fake.memo(first)["currency"]; ok {
		t.Errorf("stuck account's memo has currency %v; want none", c)
	}
	if c := fake.memo(second)["currency"]; c != "EUR" {
		t.Errorf("other account's memo currency = %v; want EUR", c)
	}
}
