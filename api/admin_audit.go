package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// listAudit is GET /v1/accounts/{account}/audit?actor=&action=&target=&from=&to=&limit=&cursor=:
// the account's changes, newest first (action matches a prefix: "destination."
// lists every destination change).
func (s *server) listAudit(c *gin.Context) {
	limit, cursor, ok := pageParams(c)
	if !ok {
		return
	}
	rows, err := s.admin.ListAudit(c.Request.Context(), c.Param("account"), admin.AuditRequest{
		Actor: c.Query("actor"), Action: c.Query("action"), Target: c.Query("target"),
		From: c.Query("from"), To: c.Query("to"), Before: cursor, Limit: limit})
	if err != nil {
		s.answerBadQuery(c, err)
		return
	}
	var last int64
	if len(rows) > 0 {
		last = rows[len(rows)-1].ID
	}
	c.JSON(http.StatusOK, gin.H{"entries": rows, "next_cursor": nextCursor(len(rows), limit, last)})
}
