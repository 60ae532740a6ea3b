package admin

import (
	"context"
	"errors"

	"github.com/convrelay/convrelay/internal/store"
)

// CreateAPIKey makes an admin or read-only key; the key itself is returned once
// and only its hash is kept.
func (s *Service) CreateAPIKey(ctx context.Context, account, label, role string) (store.APIKey, string, error) {
	if role == "" {
		role = store.RoleRead
	}
	if role != store.RoleAdmin && role != store.RoleRead {
		return store.APIKey{}, "", Invalid("role", "role must be admin or read")
	}
	k, key, err := s.Store.CreateAPIKey(ctx, account, label, role)
	if err != nil {
		return k, "", fromStore("create admin key", err)
	}
	s.Logger.Info("admin key created", "account_id", k.AccountID, "key_id", k.ID, "role", k.Role)
	return k, key, nil
}

// RevokeAPIKey revokes a key; the account's last admin key cannot be revoked.
func (s *Service) RevokeAPIKey(ctx context.Context, account string, id int64) error {
	if err := s.Store.RevokeAPIKey(ctx, account, id); err != nil {
		if errors.Is(err, store.ErrLastAdminKey) {
			return refuse(KindConflict, store.ErrLastAdminKey.Error())
		}
		return fromStore("admin key", err)
	}
	s.Logger.Info("admin key revoked", "account_id", account, "key_id", id)
	return nil
}
