package admin

import (
	"context"

	"github.com/convrelay/convrelay/internal/store"
)

// Console sessions of an API key are server-side (store.key_sessions,
// migration 019), like people's: the cookie holds a random id, the database
// only its hash, and each request reads the row joined with the live key.

// KeySignIn starts a console session for a presented API key; it returns the
// key's principal and the session id for the cookie.
func (s *Service) KeySignIn(ctx context.Context, key string) (Principal, store.APIKey, string, error) {
	k, err := s.Store.AuthenticateKey(ctx, key)
	if err != nil {
		if store.IsNotFound(err) {
			return Principal{}, store.APIKey{}, "", refuse(KindForbidden, "that key is not valid")
		}
		return Principal{}, store.APIKey{}, "", fromStore("sign in", err)
	}
	id, err := s.Store.CreateKeySession(ctx, k.ID, SessionTTL)
	if err != nil {
		return Principal{}, store.APIKey{}, "", fromStore("session", err)
	}
	return KeyPrincipal(k), k, id, nil
}

// KeySessionPrincipal is who a live key session is: not found once it is
// signed out or expired, or its key (or the key's user) revoked.
func (s *Service) KeySessionPrincipal(ctx context.Context, sessionID string) (Principal, store.APIKey, error) {
	k, err := s.Store.KeySession(ctx, sessionID)
	if err != nil {
		return Principal{}, store.APIKey{}, fromStore("session", err)
	}
	return KeyPrincipal(k), k, nil
}

// KeySignOut ends one key session.
func (s *Service) KeySignOut(ctx context.Context, sessionID string) error {
	return fromStore("session", s.Store.EndKeySession(ctx, sessionID))
}
