package api

import (
	"context"
	"sync"
	"time"

	"github.com/convrelay/convrelay/internal/store"
)

// lookupCache keeps accounts and integrations for a few seconds: the intake reads
// them on every postback and they rarely change.
type lookupCache struct {
	store *store.Store
	ttl   time.Duration
	mu    sync.Mutex
	accts map[string]cached[store.Account]
	integ map[string]cached[store.Integration]
}

type cached[T any] struct {
	val T
	err error
	at  time.Time
}

func newLookupCache(st *store.Store, ttl time.Duration) *lookupCache {
	return &lookupCache{store: st, ttl: ttl, accts: map[string]cached[store.Account]{}, integ: map[string]cached[store.Integration]{}}
}

func (l *lookupCache) account(ctx context.Context, id string) (store.Account, error) {
	l.mu.Lock()
	e, ok := l.accts[id]
	l.mu.Unlock()
	if ok && time.Since(e.at) < l.ttl {
		return e.val, e.err
	}
	a, err := l.store.GetAccount(ctx, id)
	if err != nil && !store.IsNotFound(err) {
		return a, err // transient: do not cache
	}
	l.mu.Lock()
	if len(l.accts) > 10000 {
		l.accts = map[string]cached[store.Account]{}
	}
	l.accts[id] = cached[store.Account]{a, err, time.Now()}
	l.mu.Unlock()
	return a, err
}

func (l *lookupCache) integration(ctx context.Context, account, slug string) (store.Integration, error) {
	key := account + "\x00" + slug
	l.mu.Lock()
	e, ok := l.integ[key]
	l.mu.Unlock()
	if ok && time.Since(e.at) < l.ttl {
		return e.val, e.err
	}
	in, err := l.store.GetIntegration(ctx, account, slug)
	if err != nil && !store.IsNotFound(err) {
		return in, err
	}
	l.mu.Lock()
	if len(l.integ) > 10000 {
		l.integ = map[string]cached[store.Integration]{}
	}
	l.integ[key] = cached[store.Integration]{in, err, time.Now()}
	l.mu.Unlock()
	return in, err
}

// forget drops an integration after the admin API changed it.
func (l *lookupCache) forget(account, slug string) {
	l.mu.Lock()
	delete(l.integ, account+"\x00"+slug)
	l.mu.Unlock()
}
