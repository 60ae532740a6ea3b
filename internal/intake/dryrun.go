package intake

import (
	"context"
	"fmt"
	"time"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// Trial names what a dry run reads a payload as: an existing integration, or a
// preset (with an optional field map) to try before creating one.
type Trial struct {
	Integration string
	Preset      string
	FieldMap    map[string]string
}

// DryRun decides a payload exactly as the live doors would for that contract
// (parse, limits, canonical size, keyed transaction key) and records nothing.
// Access (token, addresses) is not tried: the caller is the account's own key.
func (p *Pipeline) DryRun(ctx context.Context, accountID string, t Trial, req postback.Request, now time.Time) (Decision, error) {
	contract := postback.Integration{Preset: t.Preset, FieldMap: t.FieldMap}
	integMode := ""
	if t.Integration != "" {
		_, integ, err := p.Lookup(ctx, accountID, t.Integration)
		if err != nil {
			return Decision{}, err
		}
		contract, integMode = contractOf(integ), integ.DuplicateMode
	}
	if _, ok := postback.LookupPreset(contract.Preset); !ok {
		return Decision{}, Refuse(ErrUnprocessable, "preset", "unknown preset "+Quote(contract.Preset))
	}
	d, err := p.Decide(ctx, accountID, contract, req, now)
	if err != nil {
		return d, err
	}
	d.DuplicateMode, d.DuplicateModeSource, err = p.duplicateModeOf(ctx, accountID, integMode, d.Postback)
	return d, err
}

// duplicateModeOf is the duplicate mode a repeated approval of the postback's
// transaction would be decided with, and where it comes from: "campaign" when
// its click id names a click whose campaign sets one, "integration" when the
// integration sets one, else "default" (ignore). The workflow also attributes
// by visitor, ref_id and email; the dry run looks up the click id only.
func (p *Pipeline) duplicateModeOf(ctx context.Context, accountID, integration string, pb *postback.Postback) (conv.DuplicateMode, string, error) {
	if pb.ClickID != "" {
		k, err := p.Store.GetClick(ctx, accountID, pb.ClickID)
		switch {
		case err == nil && k.DuplicateMode != "":
			return conv.EffectiveDuplicateMode(k.DuplicateMode, ""), "campaign", nil
		case err != nil && !store.IsNotFound(err):
			return "", "", Refuse(ErrUnavailable, "", "", fmt.Errorf("look up click of the test postback: %w", err))
		}
	}
	if integration != "" {
		return conv.EffectiveDuplicateMode("", integration), "integration", nil
	}
	return conv.DuplicateIgnore, "default", nil
}
