package ratelimit

import (
	"strconv"
	"testing"
	"time"
)

func TestAddrKeyGroupsIPv6By64(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"203.0.113.9", "203.0.113.9"},
		{"::ffff:203.0.113.9", "203.0.113.9"},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"not an address", "not an address"},
	} {
		if got := AddrKey(c.in); got != c.want {
			t.Errorf("AddrKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A full table is not reset: the busy keys keep their spent buckets, and new
// keys share one overflow bucket.
func TestFullTableKeepsSpentBuckets(t *testing.T) {
	k := New(0.001, 1)
	now := time.Now()
	if k.Reserve("victim-flooder", now) != 0 || k.Reserve("victim-flooder", now) == 0 {
		t.Fatal("burst of 1: the second request must wait")
	}
	for i := 0; k.Len() < MaxKeys; i++ {
		k.Reserve("k"+strconv.Itoa(i), now)
	}
	if k.Reserve("one-more", now) != 0 {
		t.Fatal("the first key past the bound takes the overflow bucket")
	}
	if k.Reserve("and-another", now) == 0 {
		t.Fatal("keys past the bound share the overflow bucket")
	}
	if k.Reserve("victim-flooder", now) == 0 {
		t.Fatal("a spent bucket was reset when the table filled")
	}
	if k.Len() > MaxKeys {
		t.Fatalf("table grew to %d keys, bound %d", k.Len(), MaxKeys)
	}
}
