package admin

import (
	"context"

	"github.com/convrelay/convrelay/internal/store"
)

// ErasureRequest names one person by exactly one identifier.
type ErasureRequest struct {
	Email   string `json:"email"`
	ClickID string `json:"click_id"`
	RefID   string `json:"ref_id"`
}

// Erasure is what an erasure changed: the identifier kind and rows per table.
type Erasure struct {
	By   string           `json:"erased_by"`
	Rows map[string]int64 `json:"rows"`
}

// Erase removes or anonymises everything about one person in the account
// (store.Erase). It is logged with its kind and counts, never the value.
func (s *Service) Erase(ctx context.Context, account string, req ErasureRequest) (Erasure, error) {
	if _, err := s.authorize(ctx, account, ActErase); err != nil {
		return Erasure{}, err
	}
	var kind, value string
	given := 0
	for _, f := range []struct{ kind, value string }{
		{store.EraseEmail, req.Email}, {store.EraseClickID, req.ClickID}, {store.EraseRefID, req.RefID},
	} {
		if f.value != "" {
			kind, value = f.kind, f.value
			given++
		}
	}
	if given != 1 {
		return Erasure{}, Invalid("", "give exactly one of email, click_id or ref_id")
	}
	counts, err := s.Store.Erase(ctx, account, kind, value)
	if err != nil {
		return Erasure{}, fromStore("erasure", err)
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	s.Logger.Info("personal data erased", "account_id", account, "by", kind, "rows", total, "tables", counts)
	// The audit names what kind of identifier was erased, never its value.
	s.Record(ctx, account, AuditErasure, "", nil, map[string]any{"erased_by": kind, "rows": counts})
	return Erasure{By: kind, Rows: counts}, nil
}
