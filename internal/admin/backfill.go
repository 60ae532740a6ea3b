package admin

import (
	"context"
	"sync"
	"time"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/dispatch"
	"github.com/convrelay/convrelay/internal/store"
)

// BackfillResult is what a backfill did. Every conversion found is counted
// once: created, already delivered, or skipped for one reason.
type BackfillResult struct {
	DestinationID     int64           `json:"destination_id"`
	DaysRequested     int             `json:"days_requested"`
	Days              int             `json:"days"` // used: the request clamped to the window
	WindowDays        int             `json:"window_days"`
	Window            string          `json:"window"` // where the window comes from
	Since             time.Time       `json:"since"`
	ConversionsFound  int             `json:"conversions_found"`
	DeliveriesCreated int             `json:"deliveries_created"`
	AlreadyDelivered  int             `json:"already_delivered"`
	Skipped           BackfillSkipped `json:"skipped"`
	// HandoverFailed counts deliveries created whose workflow could not be
	// reached: they are marked failed, to re-drive from the delivery log.
	HandoverFailed int `json:"handover_failed"`
}

// BackfillSkipped counts the conversions a backfill left, by reason.
type BackfillSkipped struct {
	FireOn       int `json:"fire_on"`       // the destination takes neither approved nor first
	Suppressed   int `json:"suppressed"`    // the network sent disable_postbacks for the transaction
	FailedBefore int `json:"failed_before"` // an earlier delivery to it failed: re-drive that one
	ClickTooOld  int `json:"click_too_old"` // the click is older than the platform accepts
	Capped       int `json:"capped"`        // past a cap of the campaign (docs/rules.md): held or rejected, not sent
	Routing      int `json:"routing"`       // the destination's only_events/only_integrations/only_campaigns leave it out
}

// Backfill delivers the account's approved conversions of the last days days (at
// most the destination's window, destinations.BackfillWindowOf) that the
// destination does not have, through their transactions' workflows (the
// dispatcher's delivery hand-over: a completed workflow starts a new run). A
// repeated backfill delivers nothing twice.
func (s *Service) Backfill(ctx context.Context, account string, id int64, days int) (BackfillResult, error) {
	if _, err := s.authorize(ctx, account, ActRedrive); err != nil {
		return BackfillResult{}, err
	}
	if days < 1 {
		return BackfillResult{}, Invalid("days", "days: a whole number of days, at least 1")
	}
	if s.Temporal == nil {
		return BackfillResult{}, refuse(KindUnavailable, "backfill needs Temporal")
	}
	d, err := s.Store.GetDestination(ctx, account, id)
	if err != nil {
		return BackfillResult{}, fromStore("destination", err)
	}
	if !d.Enabled {
		return BackfillResult{}, refuse(KindConflict, "destination is disabled: enable it before a backfill")
	}
	w := destinations.BackfillWindowOf(destinations.Type(d.Type))
	used := min(days, w.Days())
	now := time.Now()
	span := min(time.Duration(used)*24*time.Hour, w.Age)
	p := store.BackfillParams{AccountID: account, DestinationID: id, Since: now.Add(-span)}
	if w.ClickAge > 0 {
		p.ClickSince = now.Add(-w.ClickAge)
	}
	res, err := s.Store.Backfill(ctx, p)
	// What was created is handed over even when a later batch failed (or the
	// client went away): a backfill delivery left pending is never sent.
	failed := s.handOverBackfill(context.WithoutCancel(ctx), account, res.Created)
	if err != nil {
		return BackfillResult{}, fromStore("backfill", err)
	}
	s.Logger.Info("backfill", "account_id", account, "destination_id", id, "days", used, "found", res.Found,
		"created", len(res.Created), "handover_failed", failed)
	out := BackfillResult{
		DestinationID: id, DaysRequested: days, Days: used, WindowDays: w.Days(), Window: w.Why, Since: p.Since.UTC(),
		ConversionsFound: res.Found, DeliveriesCreated: len(res.Created), AlreadyDelivered: res.AlreadyDelivered,
		Skipped: BackfillSkipped{FireOn: res.SkippedFireOn, Suppressed: res.SkippedSuppressed, FailedBefore: res.SkippedFailed,
			ClickTooOld: res.SkippedClickTooOld, Capped: res.Capped, Routing: res.SkippedRouting},
		HandoverFailed: failed,
	}
	s.Record(ctx, account, AuditBackfill, target("destination", id), nil, out)
	return out, nil
}

// handOverBackfill hands each delivery to its transaction's workflow. One whose
// workflow cannot be reached is marked failed with the reason, so it shows in
// the delivery log and can be re-driven. It returns how many failed.
func (s *Service) handOverBackfill(ctx context.Context, account string, created []store.DeliveryHandOver) int {
	const lanes = 8
	work := make(chan store.DeliveryHandOver)
	var mu sync.Mutex
	failed := 0
	var wg sync.WaitGroup
	for range min(lanes, len(created)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				if err := dispatch.SignalDelivery(ctx, s.Temporal, s.Config.TaskQueue, s.windows(), d); err != nil {
					s.Logger.Error("backfill hand-over", "account_id", account, "delivery_id", d.Ref.ID, "error", err)
					reason := "backfill: hand-over to the transaction's workflow failed; re-drive it"
					if _, err := s.Store.MarkDeliveryFailed(ctx, d.Ref.ID, reason); err != nil {
						s.Logger.Error("backfill: mark delivery failed", "delivery_id", d.Ref.ID, "error", err)
					}
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		}()
	}
	for _, d := range created {
		work <- d
	}
	close(work)
	wg.Wait()
	return failed
}
