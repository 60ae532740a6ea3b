package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
)

// statusOf maps the store's sentinel errors to HTTP statuses, in one table.
var statusOf = []struct {
	err    error
	status int
	text   string
}{
	{store.ErrNotFound, http.StatusNotFound, "not found"},
	{store.ErrConflict, http.StatusConflict, "already exists"},
}

// fail answers with a JSON error naming the problem.
func fail(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"error": msg})
}

// failErr answers for an error from the store or Temporal: known sentinels get
// their status; anything else is logged and answered 500 without its text, so
// internal detail never reaches a client.
func (s *server) failErr(c *gin.Context, what string, err error) {
	for _, m := range statusOf {
		if errors.Is(err, m.err) {
			fail(c, m.status, what+": "+m.text)
			return
		}
	}
	s.Logger.Error("request failed", "path", c.FullPath(), "what", what, "error", err)
	fail(c, http.StatusInternalServerError, what+": internal error")
}
