package admin

import (
	"context"
	"errors"
	"net"
	"regexp"

	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// IntegrationRequest creates an integration.
type IntegrationRequest struct {
	Slug         string            `json:"slug"`
	Preset       string            `json:"preset"`
	Token        string            `json:"token"`
	Open         bool              `json:"open"`
	AllowedCIDRs []string          `json:"allowed_cidrs"`
	FieldMap     map[string]string `json:"field_map"`
	StatusRules
	// DuplicateMode decides a repeated approval ("": ignore).
	DuplicateMode string `json:"duplicate_mode"`
}

// StatusRules is how an integration reads status words beyond its preset
// (docs/rules.md): status_map (word or code -> pending, approved, rejected or
// ignore) and unknown_status (approve, the default, or reject).
type StatusRules struct {
	StatusMap     map[string]string `json:"status_map"`
	UnknownStatus string            `json:"unknown_status"`
}

func (r StatusRules) valid() error {
	if len(r.StatusMap) > 200 {
		return Invalid("status_map", "status_map: at most 200 words")
	}
	if err := postback.ValidateStatusMap(r.StatusMap); err != nil {
		return Invalid("status_map", err.Error())
	}
	if err := postback.ValidateUnknownStatus(r.UnknownStatus); err != nil {
		return Invalid("unknown_status", err.Error())
	}
	return nil
}

// SetIntegrationStatusRules replaces an integration's status_map and
// unknown_status; its tokens are kept.
func (s *Service) SetIntegrationStatusRules(ctx context.Context, account, slug string, r StatusRules) (store.Integration, error) {
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return store.Integration{}, err
	}
	if err := r.valid(); err != nil {
		return store.Integration{}, err
	}
	in, err := s.Store.SetIntegrationStatusRules(ctx, account, slug, r.StatusMap, r.UnknownStatus)
	if err != nil {
		return in, fromStore("integration "+intake.Quote(slug), err)
	}
	s.Accounts.ForgetIntegration(in.AccountID, in.Slug)
	s.Record(ctx, account, AuditIntegrationRules, "integration:"+in.Slug, nil, r)
	return in, nil
}

// CreateIntegration creates an integration; it gets a random token unless one is
// given or it is created open. Shown is the token to show once ("" when none).
func (s *Service) CreateIntegration(ctx context.Context, account string, req IntegrationRequest) (in store.Integration, shown string, err error) {
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return in, "", err
	}
	if !slugPattern.MatchString(req.Slug) {
		return in, "", Invalid("slug", "slug must be 1-63 lower-case letters, digits, '-' or '_'")
	}
	if req.Preset == "" {
		req.Preset = "custom"
	}
	if _, ok := postback.LookupPreset(req.Preset); !ok {
		return in, "", Invalid("preset", "unknown preset "+intake.Quote(req.Preset)+"; GET /v1/accounts/{account}/presets lists them")
	}
	for _, cidr := range req.AllowedCIDRs {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			return in, "", Invalid("allowed_cidrs", "allowed_cidrs: "+intake.Quote(cidr)+" is not a CIDR like 203.0.113.0/24")
		}
	}
	if req.Open && req.Token != "" {
		return in, "", Invalid("token", "an open integration takes no token")
	}
	if err := req.StatusRules.valid(); err != nil {
		return in, "", err
	}
	if err := validDuplicateMode(req.DuplicateMode); err != nil {
		return in, "", err
	}
	in = store.Integration{AccountID: account, Slug: req.Slug, Open: req.Open,
		Preset: req.Preset, AllowedCIDRs: req.AllowedCIDRs, FieldMap: req.FieldMap,
		StatusMap: req.StatusMap, UnknownStatus: req.UnknownStatus, DuplicateMode: req.DuplicateMode}
	if req.Token != "" {
		in.Tokens = []store.IntegrationToken{{Secret: req.Token}}
	}
	in, err = s.Store.CreateIntegration(ctx, in)
	if err != nil {
		return in, "", fromStore("integration "+intake.Quote(req.Slug), err)
	}
	s.Accounts.ForgetIntegration(in.AccountID, in.Slug)
	if !in.Open && len(in.Tokens) > 0 {
		shown = in.Tokens[len(in.Tokens)-1].Secret // the answer that creates a token shows it, once
	}
	s.Record(ctx, account, AuditIntegrationCreate, "integration:"+in.Slug, nil, in) // tokens never marshal
	return in, shown, nil
}

// DeleteIntegration removes an integration.
func (s *Service) DeleteIntegration(ctx context.Context, account, slug string) error {
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return err
	}
	before, _ := s.Store.GetIntegration(ctx, account, slug)
	if err := s.Store.DeleteIntegration(ctx, account, slug); err != nil {
		return fromStore("integration "+intake.Quote(slug), err)
	}
	s.Accounts.ForgetIntegration(account, slug)
	s.Record(ctx, account, AuditIntegrationDelete, "integration:"+slug, before, nil)
	return nil
}

// AddIntegrationToken adds a token beside the live ones (rotation with overlap).
func (s *Service) AddIntegrationToken(ctx context.Context, account, slug string) (store.Integration, store.IntegrationToken, error) {
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return store.Integration{}, store.IntegrationToken{}, err
	}
	in, err := s.Store.GetIntegration(ctx, account, slug)
	if err != nil {
		return in, store.IntegrationToken{}, fromStore("integration "+intake.Quote(slug), err)
	}
	t, err := s.Store.AddIntegrationToken(ctx, in.AccountID, in.Slug)
	if err != nil {
		return in, t, fromStore("integration "+intake.Quote(in.Slug), err)
	}
	s.Accounts.ForgetIntegration(in.AccountID, in.Slug)
	s.Logger.Info("integration token added", "account_id", in.AccountID, "integration", in.Slug, "token_id", t.ID)
	s.Record(ctx, account, AuditTokenAdd, "integration:"+in.Slug, nil, map[string]any{"token_id": t.ID, "token": MaskToken(t.Secret)})
	return in, t, nil
}

// RevokeIntegrationToken revokes one token; the last live one of a closed
// integration cannot be revoked (conflict).
func (s *Service) RevokeIntegrationToken(ctx context.Context, account, slug string, id int64) error {
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return err
	}
	if err := s.Store.RevokeIntegrationToken(ctx, account, slug, id); err != nil {
		if errors.Is(err, store.ErrLastToken) {
			return refuse(KindConflict, store.ErrLastToken.Error())
		}
		return fromStore("token", err)
	}
	s.Accounts.ForgetIntegration(account, slug)
	s.Logger.Info("integration token revoked", "account_id", account, "integration", slug, "token_id", id)
	s.Record(ctx, account, AuditTokenRevoke, "integration:"+slug, map[string]any{"token_id": id}, nil)
	return nil
}
