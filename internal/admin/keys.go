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
	return s.CreateKey(ctx, account, KeyRequest{Label: label, Role: role})
}

// KeyRequest creates a key: its role (owner, admin, buyer, viewer, or read:
// the pre-roles read-only key), its campaigns (buyer and viewer) and the user
// it belongs to (0: the account).
type KeyRequest struct {
	Label     string
	Role      string
	Campaigns []int64
	UserID    int64
}

// CreateKey makes a key. Only an owner makes an owner key.
func (s *Service) CreateKey(ctx context.Context, account string, req KeyRequest) (store.APIKey, string, error) {
	if _, err := s.authorize(ctx, account, ActManageKeys); err != nil {
		return store.APIKey{}, "", err
	}
	role := req.Role
	if role == "" {
		role = store.RoleRead
	}
	if role != store.RoleRead && !ValidRole(role) {
		return store.APIKey{}, "", Invalid("role", "role must be owner, admin, buyer, viewer or read")
	}
	if p, ok := PrincipalFrom(ctx); ok && role == RoleOwner && p.Role != RoleOwner {
		return store.APIKey{}, "", refuse(KindForbidden, "only an owner makes an owner key")
	}
	if len(req.Campaigns) > 0 && role != RoleBuyer && role != RoleViewer {
		return store.APIKey{}, "", Invalid("campaign_ids", "only a buyer or viewer key is limited to campaigns")
	}
	for _, id := range req.Campaigns {
		if _, err := s.Store.GetCampaign(ctx, account, id); err != nil {
			return store.APIKey{}, "", fromStore("campaign", err)
		}
	}
	k := store.APIKey{AccountID: account, Label: req.Label, Role: role, Campaigns: req.Campaigns}
	if req.UserID != 0 {
		// A person's key: it ends when they are revoked, and acts as them in the audit log.
		u, err := s.Store.GetUser(ctx, account, req.UserID)
		if err != nil {
			return store.APIKey{}, "", fromStore("user", err)
		}
		if u.RevokedAt != nil {
			return store.APIKey{}, "", Invalid("user_id", "this user is revoked")
		}
		k.UserID = &req.UserID
	}
	k, key, err := s.Store.CreateScopedAPIKey(ctx, k)
	if err != nil {
		return k, "", fromStore("create admin key", err)
	}
	s.Record(ctx, account, AuditKeyCreate, target("key", k.ID), nil, k)
	s.Logger.Info("admin key created", "account_id", k.AccountID, "key_id", k.ID, "role", k.Role)
	return k, key, nil
}

// RevokeAPIKey revokes a key; the account's last admin key cannot be revoked.
func (s *Service) RevokeAPIKey(ctx context.Context, account string, id int64) error {
	if _, err := s.authorize(ctx, account, ActManageKeys); err != nil {
		return err
	}
	if err := s.Store.RevokeAPIKey(ctx, account, id); err != nil {
		if errors.Is(err, store.ErrLastAdminKey) {
			return refuse(KindConflict, store.ErrLastAdminKey.Error())
		}
		return fromStore("admin key", err)
	}
	s.Logger.Info("admin key revoked", "account_id", account, "key_id", id)
	s.Record(ctx, account, AuditKeyRevoke, target("key", id), nil, map[string]any{"revoked": true})
	return nil
}

// ListKeys lists the account's keys (never the key itself), revoked ones included.
func (s *Service) ListKeys(ctx context.Context, account string) ([]store.APIKey, error) {
	if _, err := s.authorize(ctx, account, ActReadSetup); err != nil {
		return nil, err
	}
	out, err := s.Store.ListAPIKeys(ctx, account)
	return out, fromStore("keys", err)
}
