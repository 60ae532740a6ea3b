package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// backfillRequest is the body of POST /destinations/{id}/backfill.
type backfillRequest struct {
	Days *int `json:"days"` // conversions of the last Days days; clamped to the destination's window
}

// backfillDestination is POST /v1/accounts/{account}/destinations/{id}/backfill
// {"days": N}: the account's approved conversions of the last N days that the
// destination does not have are delivered to it (admin.Backfill). 202 with the counts.
func (s *server) backfillDestination(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	var req backfillRequest
	if !bindJSON(c, &req) {
		return
	}
	if req.Days == nil {
		s.answer(c, admin.Invalid("days", "days: a whole number of days, at least 1"))
		return
	}
	res, err := s.admin.Backfill(c.Request.Context(), c.Param("account"), id, *req.Days)
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusAccepted, res)
}

// backfillView is a backfill's answer on the console's destinations page.
type backfillView struct {
	Name  string
	Error string
	admin.BackfillResult
}

// consoleBackfill runs a backfill from the destinations page and shows its
// counts there.
func (s *server) consoleBackfill(c *gin.Context) {
	ctx, account, id := c.Request.Context(), consoleAccount(c), atoi64(c.Param("id"))
	d, err := s.Store.GetDestination(ctx, account, id)
	if err != nil {
		s.consoleError(c, "destination", err)
		return
	}
	view := &backfillView{Name: d.Name}
	days, err := strconv.Atoi(strings.TrimSpace(c.PostForm("days")))
	if err != nil {
		view.Error = "Days must be a whole number."
	} else if view.BackfillResult, err = s.admin.Backfill(ctx, account, id, days); err != nil {
		view.Error = s.consoleFailure(err)
	}
	s.renderDestinations(c, gin.H{"BackfillResult": view})
}
