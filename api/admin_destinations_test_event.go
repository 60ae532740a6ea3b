package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/destinations"
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
// answers with what the platform said. Nothing is recorded: no conversion,
// no delivery, no postback log entry.
func (s *server) testDestination(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	var req testEventRequest
	if c.Request.ContentLength != 0 && !bindJSON(c, &req) {
		return
	}
	ctx := c.Request.Context()
	d, err := s.Store.GetDestination(ctx, c.Param("account"), id)
	if err != nil {
		s.failErr(c, "destination", err)
		return
	}
	if req.Currency == "" {
		acct, err := s.Store.GetAccount(ctx, c.Param("account"))
		if err != nil {
			s.failErr(c, "account", err)
			return
		}
		req.Currency = acct.Currency
	}
	dest := destinations.Destination{ID: d.ID, Type: destinations.Type(d.Type), Name: d.Name, Endpoint: d.Endpoint, Config: d.Config}
	if err := destinations.Validate(dest); err != nil {
		fail(c, http.StatusUnprocessableEntity, err.Error())
		return
	}
	ev := destinations.TestEvent{TestEventCode: req.TestEventCode, EventName: req.EventName, Currency: req.Currency,
		Email: req.Email, Phone: req.Phone, Country: req.Country, GCLID: req.GCLID}
	if req.Value != nil {
		ev.Value = *req.Value
	}
	sender := s.Sender
	if sender == nil {
		// The same outbound guard as deliveries: a test event is a delivery.
		sender = &destinations.Sender{Guard: destinations.Guard{Allow: s.Config.DestinationAllow}}
	}
	c.JSON(http.StatusOK, sender.SendTest(ctx, dest, ev))
}
