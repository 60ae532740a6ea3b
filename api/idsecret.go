package api

import (
	"context"
	"sync"

	"github.com/convrelay/convrelay/internal/store"
)

// IDSecretName is the installation secret that keys the hash of personal data in
// transaction keys (and so in Temporal workflow ids).
const IDSecretName = "transaction_key_hmac"

// idSecretCache loads the installation's id secret once; a failed load is tried
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

func (s *server) idSecret(ctx context.Context) ([]byte, error) {
	return s.idKey.get(ctx, s.Store, IDSecretName)
}
