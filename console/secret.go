package console

import (
	"context"
	"sync"

	"github.com/convrelay/convrelay/internal/store"
)

// idSecretCache loads an installation secret once; a failed load is tried
// again on the next request.
type idSecretCache struct {
	mu     sync.Mutex
	secret []byte
}

func (c *idSecretCache) get(ctx context.Context, st *store.Store, name string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secret != nil {
		return c.secret, nil
	}
	secret, err := st.InstallationSecret(ctx, name)
	if err != nil {
		return nil, err
	}
	c.secret = secret
	return secret, nil
}
