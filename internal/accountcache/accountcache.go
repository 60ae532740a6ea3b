// Package accountcache is the one reader of accounts and integrations that the
// hot paths share (intake, dispatch, activities): bounded, with one lifetime,
// and told when the admin layer changes a setting so no layer keeps an old one.
package accountcache

import (
	"context"
	"sync"
	"time"

	"github.com/convrelay/convrelay/internal/store"
)

// DefaultTTL is how long an entry is trusted without a word from the admin layer:
// the bound on how stale another process's copy can be after a change there.
const DefaultTTL = 5 * time.Second

// maxEntries bounds each map; past it the oldest half is dropped.
const maxEntries = 10_000

// Reader caches found and not-found answers; a database error is never cached
// and never read as not found.
type Reader struct {
	store *store.Store
	ttl   time.Duration
	now   func() time.Time

	mu    sync.Mutex
	accts map[string]entry[store.Account]
	integ map[string]entry[store.Integration]
	tags  map[string]entry[store.TagSettings]
}

type entry[T any] struct {
	val T
	err error // nil or a not-found error
	at  time.Time
}

// New builds a Reader; ttl <= 0 takes DefaultTTL.
func New(st *store.Store, ttl time.Duration) *Reader {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Reader{store: st, ttl: ttl, now: time.Now,
		accts: map[string]entry[store.Account]{}, integ: map[string]entry[store.Integration]{},
		tags: map[string]entry[store.TagSettings]{}}
}

// Account reads an account.
func (r *Reader) Account(ctx context.Context, id string) (store.Account, error) {
	return read(r, r.accts, id, func() (store.Account, error) { return r.store.GetAccount(ctx, id) })
}

// Integration reads one of an account's integrations by slug.
func (r *Reader) Integration(ctx context.Context, account, slug string) (store.Integration, error) {
	return read(r, r.integ, account+"\x00"+slug, func() (store.Integration, error) {
		return r.store.GetIntegration(ctx, account, slug)
	})
}

// TagSettings reads an account's first-party tag settings (the browser
// endpoints read them on every request).
func (r *Reader) TagSettings(ctx context.Context, id string) (store.TagSettings, error) {
	return read(r, r.tags, id, func() (store.TagSettings, error) { return r.store.GetTagSettings(ctx, id) })
}

// ForgetAccount drops an account (and its tag settings) after its settings changed.
func (r *Reader) ForgetAccount(id string) {
	r.mu.Lock()
	delete(r.accts, id)
	delete(r.tags, id)
	r.mu.Unlock()
}

// ForgetIntegration drops an integration after it changed.
func (r *Reader) ForgetIntegration(account, slug string) {
	r.mu.Lock()
	delete(r.integ, account+"\x00"+slug)
	r.mu.Unlock()
}

func read[T any](r *Reader, m map[string]entry[T], key string, load func() (T, error)) (T, error) {
	now := r.now()
	r.mu.Lock()
	e, ok := m[key]
	r.mu.Unlock()
	if ok && now.Sub(e.at) < r.ttl {
		return e.val, e.err
	}
	v, err := load()
	if err != nil && !store.IsNotFound(err) {
		return v, err // transient: asked again next time
	}
	r.mu.Lock()
	if len(m) >= maxEntries {
		evictOldest(m, now, r.ttl)
	}
	m[key] = entry[T]{v, err, now}
	r.mu.Unlock()
	return v, err
}

// evictOldest drops expired entries, then, if still full, every entry older than
// half the lifetime: the map never grows past maxEntries.
func evictOldest[T any](m map[string]entry[T], now time.Time, ttl time.Duration) {
	for k, e := range m {
		if now.Sub(e.at) >= ttl {
			delete(m, k)
		}
	}
	if len(m) < maxEntries {
		return
	}
	for k, e := range m {
		if now.Sub(e.at) >= ttl/2 || len(m) >= maxEntries {
			delete(m, k)
		}
	}
}
