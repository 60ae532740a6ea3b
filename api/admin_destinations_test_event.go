package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/admin"
)

// testEventRequest is the body of POST /destinations/{id}/test; every field
// is optional.
type testEventRequest struct {
	TestEventCode string           `json:"test_event_code"` // Meta / TikTok test tools
	EventName     string           `json:"event_name"`
	Value         *decimal.Decimal `json:"value"`
	Currency      string           `json:"currency"` // default: the account's
	Email         string           `json:"email"`
	Phone         string           `json:"phone"`
	Country       string           `json:"country"`
	GCLID         string           `json:"gclid"`
}

// testDestination is POST /v1/accounts/{account}/destinations/{id}/test: it
// sends a sample conversion to the destination as a real delivery would and
// answers with what the platform said. Nothing is recorded.
func (s *server) testDestination(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	var req testEventRequest
	if c.Request.ContentLength != 0 && !bindJSON(c, &req) {
		return
	}
	ev := admin.TestEvent{TestEventCode: req.TestEventCode, EventName: req.EventName, Currency: req.Currency,
		Email: req.Email, Phone: req.Phone, Country: req.Country, GCLID: req.GCLID}
	if req.Value != nil {
		ev.Value = *req.Value
	}
	out, err := s.admin.TestDestination(c.Request.Context(), c.Param("account"), id, ev)
	s.answerResult(c, http.StatusOK, out, err)
}
