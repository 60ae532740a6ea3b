package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/dispatch"
	"github.com/convrelay/convrelay/internal/store"
)

// backfillRequest is the body of POST /destinations/{id}/backfill.
type backfillRequest struct {
	Days *int `json:"days"` // conversions of the last Days days; clamped to the destination's window
}

// backfillAnswer is what a backfill did. Every conversion found is counted
// once: created, already delivered, or skipped for one reason.
type backfillAnswer struct {
	DestinationID     int64           `json:"destination_id"`
	DaysRequested     int             `json:"days_requested"`
	Days              int             `json:"days"` // used: the request clamped to the window
	WindowDays        int             `json:"window_days"`
	Window            string          `json:"window"` // where the window comes from
	Since             time.Time       `json:"since"`
	ConversionsFound  int             `json:"conversions_found"`
	DeliveriesCreated int             `json:"deliveries_created"`
	AlreadyDelivered  int             `json:"already_delivered"`
	Skipped           backfillSkipped `json:"skipped"`
	// HandoverFailed counts deliveries created whose workflow could not be
	// reached: they are marked failed, to re-drive from the delivery log.
	HandoverFailed int `json:"handover_failed"`
}

type backfillSkipped struct {
	FireOn       int `json:"fire_on"`       // the destination takes neither approved nor first
	Suppressed   int `json:"suppressed"`    // the network sent disable_postbacks for the transaction
	FailedBefore int `json:"failed_before"` // an earlier delivery to it failed: re-drive that one
	ClickTooOld  int `json:"click_too_old"` // the click is older than the platform accepts
	Routing      int `json:"routing"`       // the destination's only_events/only_integrations/only_campaigns leave it out
}

// backfillDestination is POST /v1/accounts/{account}/destinations/{id}/backfill
// {"days": N}: the account's approved conversions of the last N days (at most
// the destination's window, see destinations.BackfillWindowOf) that the
// destination does not have are delivered to it through their transactions'
// workflows (the re-drive path: a completed workflow starts a new run). A
// repeated backfill delivers nothing twice. 202 with the counts.
func (s *server) backfillDestination(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	var req backfillRequest
	if !bindJSON(c, &req) {
		return
	}
	if req.Days == nil || *req.Days < 1 {
		fail(c, http.StatusUnprocessableEntity, "days: a whole number of days, at least 1")
		return
	}
	if s.Temporal == nil {
		fail(c, http.StatusServiceUnavailable, "backfill needs Temporal")
		return
	}
	ctx := c.Request.Context()
	account := c.Param("account")
	d, err := s.Store.GetDestination(ctx, account, id)
	if err != nil {
		s.failErr(c, "destination", err)
		return
	}
	if !d.Enabled {
		fail(c, http.StatusConflict, "destination is disabled: enable it before a backfill")
		return
	}
	w := destinations.BackfillWindowOf(destinations.Type(d.Type))
	days := min(*req.Days, w.Days())
	now := time.Now()
	span := min(time.Duration(days)*24*time.Hour, w.Age)
	p := store.BackfillParams{AccountID: account, DestinationID: id, Since: now.Add(-span)}
	if w.ClickAge > 0 {
		p.ClickSince = now.Add(-w.ClickAge)
	}
	res, err := s.Store.Backfill(ctx, p)
	// What was created is handed over even when a later batch failed (or the
	// client went away): a backfill delivery left pending is never sent.
	failed := s.handOverBackfill(context.WithoutCancel(ctx), account, res.Created)
	if err != nil {
		s.failErr(c, "backfill", err)
		return
	}
	s.Logger.Info("backfill", "account_id", account, "destination_id", id, "days", days, "found", res.Found,
		"created", len(res.Created), "handover_failed", failed)
	c.JSON(http.StatusAccepted, backfillAnswer{
		DestinationID: id, DaysRequested: *req.Days, Days: days, WindowDays: w.Days(), Window: w.Why, Since: p.Since.UTC(),
		ConversionsFound: res.Found, DeliveriesCreated: len(res.Created), AlreadyDelivered: res.AlreadyDelivered,
		Skipped: backfillSkipped{FireOn: res.SkippedFireOn, Suppressed: res.SkippedSuppressed, FailedBefore: res.SkippedFailed,
			ClickTooOld: res.SkippedClickTooOld, Routing: res.SkippedRouting},
		HandoverFailed: failed,
	})
}

// handOverBackfill signals each delivery to its transaction's workflow, as a
// re-drive does (SignalWithStart: a workflow that has completed starts a new
// run). A delivery whose workflow cannot be reached is marked failed with the
// reason, so it shows in the delivery log and can be re-driven. It returns how
// many failed.
func (s *server) handOverBackfill(ctx context.Context, account string, created []store.DeliveryHandOver) int {
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
				if err := s.signalBackfill(ctx, d); err != nil {
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

func (s *server) signalBackfill(ctx context.Context, d store.DeliveryHandOver) error {
	return dispatch.SignalDelivery(ctx, s.Temporal, s.Config.TaskQueue,
		dispatch.Windows{Settle: s.Config.SettleWindow, Delivery: s.Config.DeliveryWindow}, d)
}

// backfillView is a backfill's answer on the console's destinations page.
type backfillView struct {
	Name  string
	Error string
	backfillAnswer
}

// consoleBackfill runs a backfill from the destinations page and shows its
// counts there.
func (s *server) consoleBackfill(c *gin.Context) {
	d, err := s.Store.GetDestination(c.Request.Context(), consoleAccount(c), atoi64(c.Param("id")))
	if err != nil {
		s.consoleError(c, "destination", err)
		return
	}
	view := &backfillView{Name: d.Name}
	days, err := strconv.Atoi(strings.TrimSpace(c.PostForm("days")))
	if err != nil {
		view.Error = "Days must be a whole number."
		s.renderDestinations(c, gin.H{"BackfillResult": view})
		return
	}
	code, out := s.adminCall(c, s.backfillDestination, http.MethodPost, gin.Params{{Key: "id", Value: c.Param("id")}},
		backfillRequest{Days: &days})
	if code != http.StatusAccepted {
		view.Error = answerError(out)
	} else {
		view.DaysRequested, view.Days, view.WindowDays = int(num(out["days_requested"])), int(num(out["days"])), int(num(out["window_days"]))
		view.Window = fmt.Sprint(orEmpty(out["window"]))
		view.ConversionsFound, view.DeliveriesCreated = int(num(out["conversions_found"])), int(num(out["deliveries_created"]))
		view.AlreadyDelivered, view.HandoverFailed = int(num(out["already_delivered"])), int(num(out["handover_failed"]))
		if sk, ok := out["skipped"].(map[string]any); ok {
			view.Skipped = backfillSkipped{FireOn: int(num(sk["fire_on"])), Suppressed: int(num(sk["suppressed"])),
				FailedBefore: int(num(sk["failed_before"])), ClickTooOld: int(num(sk["click_too_old"])), Routing: int(num(sk["routing"]))}
		}
	}
	s.renderDestinations(c, gin.H{"BackfillResult": view})
}
