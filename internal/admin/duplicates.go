package admin

import (
	"context"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/store"
)

// DuplicateModeRequest sets an integration's duplicate mode (docs/rules.md
// "Duplicate modes"): ignore (the default), new, edit or add.
type DuplicateModeRequest struct {
	DuplicateMode string `json:"duplicate_mode"`
}

// validDuplicateMode refuses a mode no one knows ("" is the default).
func validDuplicateMode(mode string) error {
	if _, err := conv.ParseDuplicateMode(mode); err != nil {
		return Invalid("duplicate_mode", err.Error())
	}
	return nil
}

// SetIntegrationDuplicateMode sets what a repeated approval of a transaction
// means for the postbacks of one integration; a campaign that sets its own
// mode wins for the conversions attributed to it.
func (s *Service) SetIntegrationDuplicateMode(ctx context.Context, account, slug string, r DuplicateModeRequest) (store.Integration, error) {
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return store.Integration{}, err
	}
	if err := validDuplicateMode(r.DuplicateMode); err != nil {
		return store.Integration{}, err
	}
	mode, _ := conv.ParseDuplicateMode(r.DuplicateMode)
	before, _ := s.Store.GetIntegration(ctx, account, slug)
	in, err := s.Store.SetIntegrationDuplicateMode(ctx, account, slug, string(mode))
	if err != nil {
		return in, fromStore("integration "+intake.Quote(slug), err)
	}
	s.Accounts.ForgetIntegration(in.AccountID, in.Slug)
	s.Record(ctx, account, AuditIntegrationDups, "integration:"+in.Slug,
		DuplicateModeRequest{DuplicateMode: before.DuplicateMode}, DuplicateModeRequest{DuplicateMode: string(mode)})
	return in, nil
}
