// Package ratelimit is the one keyed rate limiter (token buckets of
// golang.org/x/time/rate, one per key): the intake's per-address and
// per-account bounds, the click redirect's per-address and per-campaign bounds
// and the console's sign-in throttle all use it.
package ratelimit

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed holds one limiter per key, forgetting keys idle for a while so a
// sender cycling through addresses cannot grow it without bound. A nil *Keyed
// is off: it lets everything through.
type Keyed struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*entry
	swept time.Time
	// overflow is shared by the keys that arrive while the table is full of
	// busy keys: the table is never reset (a reset would hand every busy
	// sender a fresh burst) and never grows past MaxKeys.
	overflow *rate.Limiter
}

type entry struct {
	lim  *rate.Limiter
	seen time.Time
}

// Bounds of the table.
const (
	Idle     = 10 * time.Minute
	MaxKeys  = 100_000
	sweepGap = time.Minute
)

// New is a limiter of rps requests a second with the given burst per key; rps
// 0 (or less) is off and returns nil.
func New(rps float64, burst int) *Keyed {
	if rps <= 0 {
		return nil
	}
	if burst < 1 {
		burst = int(math.Ceil(rps))
	}
	return &Keyed{limit: rate.Limit(rps), burst: burst, m: map[string]*entry{}, overflow: rate.NewLimiter(rate.Limit(rps), burst)}
}

// Reserve takes one token for key; it returns how long the caller must wait,
// 0 when the request may go now. A refused request gives its token back.
func (k *Keyed) Reserve(key string, now time.Time) time.Duration {
	if k == nil {
		return 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.swept) > sweepGap || len(k.m) >= MaxKeys {
		k.sweep(now)
	}
	lim := k.overflow
	if e := k.m[key]; e != nil {
		e.seen, lim = now, e.lim
	} else if len(k.m) < MaxKeys {
		e = &entry{lim: rate.NewLimiter(k.limit, k.burst), seen: now}
		k.m[key], lim = e, e.lim
	}
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// Len is how many keys the table holds.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.m)
}

func (k *Keyed) sweep(now time.Time) {
	k.swept = now
	for key, e := range k.m {
		if now.Sub(e.seen) > Idle {
			delete(k.m, key)
		}
	}
}

// AddrKey is the key of a client address: an IPv4 address as it is, an IPv6
// address by its /64 (one subscriber usually holds a whole /64, so keying by
// /128 would give each of them 2^64 buckets). Text that is not an address is
// its own key.
func AddrKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
