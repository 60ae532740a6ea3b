package intake

import (
	"context"
	"time"

	"github.com/convrelay/convrelay/internal/postback"
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
	if t.Integration != "" {
		_, integ, err := p.Lookup(ctx, accountID, t.Integration)
		if err != nil {
			return Decision{}, err
		}
		contract = contractOf(integ)
	}
	if _, ok := postback.LookupPreset(contract.Preset); !ok {
		return Decision{}, Refuse(ErrUnprocessable, "preset", "unknown preset "+Quote(contract.Preset))
	}
	return p.Decide(ctx, accountID, contract, req, now)
}
