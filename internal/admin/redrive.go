package admin

import (
	"context"
	"errors"

	"github.com/convrelay/convrelay/internal/dispatch"
	"github.com/convrelay/convrelay/internal/store"
)

// RetryPostback puts a failed postback (a cause no retry could fix, now fixed by
// the operator) back in the hand-over queue, through its transaction's workflow
// again. Applying it is still exactly once: the store refuses a second effect.
func (s *Service) RetryPostback(ctx context.Context, account string, id int64) (store.LogEntry, error) {
	if _, err := s.authorize(ctx, account, ActRedrive); err != nil {
		return store.LogEntry{}, err
	}
	e, err := s.Store.RetryFailed(ctx, account, id)
	if errors.Is(err, store.ErrConflict) {
		return e, refuse(KindConflict, "postback is not failed; only a failed postback can be re-driven")
	}
	if err != nil {
		return e, fromStore("postback", err)
	}
	s.poke()
	s.Logger.Info("postback re-driven", "account_id", e.AccountID, "postback_id", e.ID)
	s.Record(ctx, account, AuditPostbackRedrive, target("postback", id), map[string]any{"outcome": "failed"}, map[string]any{"outcome": e.Outcome})
	return e, nil
}

// RetryDelivery puts a failed delivery (or one held past a campaign cap:
// capped) back to pending and hands it to its transaction's workflow through
// the dispatcher's one delivery hand-over (a run started again, with the
// conversion's attributes and memo, if the workflow has completed). A
// hand-over that fails leaves the delivery failed.
func (s *Service) RetryDelivery(ctx context.Context, account string, id int64) (store.Delivery, error) {
	if _, err := s.authorize(ctx, account, ActRedrive); err != nil {
		return store.Delivery{}, err
	}
	if s.Temporal == nil {
		return store.Delivery{}, refuse(KindUnavailable, "re-drive needs Temporal")
	}
	h, err := s.Store.ReDrive(ctx, account, id)
	if err != nil {
		return store.Delivery{}, fromStore("delivery", err)
	}
	if err := dispatch.SignalDelivery(ctx, s.Temporal, s.Config.TaskQueue, s.windows(), h); err != nil {
		if _, merr := s.Store.MarkDeliveryFailed(context.WithoutCancel(ctx), id, ""); merr != nil {
			s.Logger.Error("re-drive: mark delivery failed again", "delivery_id", id, "error", merr)
		}
		return store.Delivery{}, &Error{Kind: KindInternal, Message: "re-drive delivery: internal error", Cause: err}
	}
	d, err := s.Store.GetDelivery(ctx, account, id)
	if err != nil {
		return d, fromStore("delivery", err)
	}
	s.Logger.Info("delivery re-driven", "account_id", account, "delivery_id", id)
	s.Record(ctx, account, AuditDeliveryRedrive, target("delivery", id), map[string]any{"status": "failed"}, map[string]any{"status": d.Status})
	return d, nil
}

func (s *Service) windows() dispatch.Windows {
	return dispatch.Windows{Settle: s.Config.SettleWindow, Delivery: s.Config.DeliveryWindow}
}
