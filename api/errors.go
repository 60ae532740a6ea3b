package api

import (
	"github.com/convrelay/convrelay/internal/admin"

	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/intake"
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

// adminStatuses maps the admin layer's error kinds to HTTP statuses, once, for
// every admin route (a request body's invalid field is 422; see answerBadQuery).
var adminStatuses = map[admin.Kind]int{
	admin.KindInternal:    http.StatusInternalServerError,
	admin.KindInvalid:     http.StatusUnprocessableEntity,
	admin.KindNotFound:    http.StatusNotFound,
	admin.KindConflict:    http.StatusConflict,
	admin.KindForbidden:   http.StatusForbidden,
	admin.KindTooLarge:    http.StatusRequestEntityTooLarge,
	admin.KindTooMany:     http.StatusTooManyRequests,
	admin.KindUnavailable: http.StatusServiceUnavailable,
}

// answer answers an admin use case's error: its kind's status and its message
// (with the field at fault); an internal error is logged and answered without
// its detail.
func (s *server) answer(c *gin.Context, err error) {
	s.answerWith(c, err, http.StatusUnprocessableEntity)
}

// answerResult answers a use case whose result is the answer as it is: its
// error as answer does, or status with the result.
func (s *server) answerResult(c *gin.Context, status int, out any, err error) {
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(status, out)
}

// answerBadQuery is answer for a use case driven by query parameters, where an
// invalid one is 400.
func (s *server) answerBadQuery(c *gin.Context, err error) {
	s.answerWith(c, err, http.StatusBadRequest)
}

func (s *server) answerWith(c *gin.Context, err error, invalid int) {
	ae := admin.AsError(err)
	status, ok := adminStatuses[ae.Kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	if ae.Kind == admin.KindInvalid {
		status = invalid
	}
	if status == http.StatusInternalServerError {
		s.Logger.Error("request failed", "path", c.FullPath(), "error", err)
	}
	answer := gin.H{"error": ae.Message}
	if ae.Field != "" && ae.Kind == admin.KindInvalid {
		answer["field"] = ae.Field
	}
	c.AbortWithStatusJSON(status, answer)
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

func intakeStatus(kind error) int { return intake.Status(kind) }

// answerIntakeError answers a refused postback with the problem named; a passing
// failure is answered 503 so the network retries, without internal detail. The
// pipeline has already logged the request where it should be.
func (s *server) answerIntakeError(c *gin.Context, live *intake.Live, started time.Time, err error) {
	ie := intake.AsError(err)
	status := intakeStatus(ie.Kind)
	switch {
	case errors.Is(ie.Kind, intake.ErrTooMany):
		tooMany(c, ie.RetryAfter, ie.Message) // like the middleware's: not logged
		return
	case errors.Is(ie.Kind, intake.ErrUnknownAccount):
		s.Metrics.Unknown.WithLabelValues("account").Inc()
	case errors.Is(ie.Kind, intake.ErrUnknownIntegration):
		s.Metrics.Unknown.WithLabelValues("integration").Inc()
	}
	if status >= 500 {
		s.Logger.Error("intake failed", "account_id", live.Entry.AccountID, "error", err)
		s.observe(live, started, "error")
		c.AbortWithStatusJSON(status, gin.H{"status": "error", "error": "temporary failure; retry later"})
		return
	}
	s.observe(live, started, "rejected")
	answer := gin.H{"status": "rejected", "error": ie.Message}
	if ie.Field != "" {
		answer["field"] = ie.Field
	}
	c.AbortWithStatusJSON(status, answer)
}

func (s *server) observe(live *intake.Live, started time.Time, outcome string) {
	integration := "unknown"
	if live.Known {
		integration = live.Entry.Integration
	}
	s.Metrics.Postbacks.WithLabelValues(outcome, integration).Inc()
	s.Metrics.IntakeSeconds.WithLabelValues(outcome).Observe(time.Since(started).Seconds())
}
