package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
)

// listDeliveries is GET /v1/accounts/{account}/deliveries?status=&destination_id=&transaction_id=&limit=&cursor=.
func (s *server) listDeliveries(c *gin.Context) {
	limit, cursor, ok := pageParams(c)
	if !ok {
		return
	}
	var destID int64
	if v := c.Query("destination_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fail(c, http.StatusBadRequest, "destination_id must be a whole number")
			return
		}
		destID = n
	}
	switch c.Query("status") {
	case "", "pending", "delivered", "failed", "suppressed", "skipped", "capped", "cap_rejected":
	default:
		fail(c, http.StatusBadRequest, "status must be pending, delivered, failed, suppressed, skipped, capped or cap_rejected")
		return
	}
	rows, err := s.admin.ListDeliveries(c.Request.Context(), c.Param("account"), store.DeliveryFilter{
		Status: c.Query("status"), DestinationID: destID, TransactionID: c.Query("transaction_id"), Before: cursor, Limit: limit})
	if err != nil {
		s.answer(c, err)
		return
	}
	out := make([]apiDelivery, 0, len(rows))
	var last int64
	for _, r := range rows {
		out, last = append(out, newAPIDelivery(r)), r.ID
	}
	c.JSON(http.StatusOK, gin.H{"deliveries": out, "next_cursor": nextCursor(len(rows), limit, last)})
}

// retryDelivery is POST /v1/accounts/{account}/deliveries/{id}/retry: a failed
// delivery goes back to pending and is handed to its transaction's workflow
// (admin.RetryDelivery).
func (s *server) retryDelivery(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	d, err := s.admin.RetryDelivery(c.Request.Context(), c.Param("account"), id)
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"delivery": newAPIDelivery(d), "workflow_id": d.WorkflowID})
}
