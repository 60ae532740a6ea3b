package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
)

// listConversions is GET /v1/accounts/{account}/conversions?transaction_id=&click_id=&status=&limit=&cursor=.
func (s *server) listConversions(c *gin.Context) {
	limit, cursor, ok := pageParams(c)
	if !ok {
		return
	}
	switch c.Query("status") {
	case "", "pending", "approved", "rejected":
	default:
		fail(c, http.StatusBadRequest, "status must be pending, approved or rejected")
		return
	}
	rows, err := s.admin.ListConversions(c.Request.Context(), c.Param("account"), store.ConversionFilter{
		TransactionID: c.Query("transaction_id"), ClickID: c.Query("click_id"), Status: c.Query("status"), Before: cursor, Limit: limit})
	if err != nil {
		s.answer(c, err)
		return
	}
	out := make([]apiConversion, 0, len(rows))
	var last int64
	for _, r := range rows {
		out, last = append(out, newAPIConversion(r)), r.ID
	}
	c.JSON(http.StatusOK, gin.H{"conversions": out, "next_cursor": nextCursor(len(rows), limit, last)})
}

// getConversion is GET /v1/accounts/{account}/conversions/{id}, with its history.
func (s *server) getConversion(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	conv, err := s.admin.GetConversion(c.Request.Context(), c.Param("account"), id)
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusOK, newAPIConversion(conv))
}
