package api

import (
	"net/http"

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
	s.answerResult(c, http.StatusAccepted, res, err)
}
