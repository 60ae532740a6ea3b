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

// ErasureBy is the request naming a person by one identifier of a kind
// (store.EraseEmail, EraseClickID or EraseRefID: the request's JSON names); an
// unknown kind names nobody, which Erase refuses.
func ErasureBy(kind, value string) ErasureRequest {
	var r ErasureRequest
	for _, id := range r.identifiers() {
		if id.kind == kind {
			*id.value = value
		}
	}
	return r
}

// erasureID is one identifier of a request: its kind and where its value is.
type erasureID struct {
	kind  string
	value *string
}

// identifiers are the request's identifiers by kind: the one table Erase reads
// and ErasureBy fills.
func (r *ErasureRequest) identifiers() []erasureID {
	return []erasureID{{store.EraseEmail, &r.Email}, {store.EraseClickID, &r.ClickID}, {store.EraseRefID, &r.RefID}}
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
	for _, id := range req.identifiers() {
		if *id.value != "" {
			kind, value = id.kind, *id.value
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
