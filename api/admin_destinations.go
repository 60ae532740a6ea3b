package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// createDestination is POST /v1/accounts/{account}/destinations.
func (s *server) createDestination(c *gin.Context) {
	var req admin.DestinationRequest
	if !bindJSON(c, &req) {
		return
	}
	out, err := s.admin.CreateDestination(c.Request.Context(), c.Param("account"), req)
	if err != nil {
		s.answer(c, err)
		return
	}
	view := newAPIDestination(out.Destination)
	view.WebhookSecret = out.GeneratedSecret // a generated secret is shown once, here
	c.JSON(http.StatusCreated, view)
}

// updateDestination is PUT /v1/accounts/{account}/destinations/{id}.
func (s *server) updateDestination(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	var req admin.DestinationRequest
	if !bindJSON(c, &req) {
		return
	}
	out, err := s.admin.UpdateDestination(c.Request.Context(), c.Param("account"), id, req)
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusOK, newAPIDestination(out))
}

// listDestinations is GET /v1/accounts/{account}/destinations.
func (s *server) listDestinations(c *gin.Context) {
	ds, err := s.Store.ListDestinations(c.Request.Context(), c.Param("account"))
	if err != nil {
		s.failErr(c, "list destinations", err)
		return
	}
	out := make([]apiDestination, 0, len(ds))
	for _, d := range ds {
		out = append(out, newAPIDestination(d))
	}
	c.JSON(http.StatusOK, gin.H{"destinations": out})
}

// getDestination is GET /v1/accounts/{account}/destinations/{id}.
func (s *server) getDestination(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	d, err := s.Store.GetDestination(c.Request.Context(), c.Param("account"), id)
	if err != nil {
		s.failErr(c, "destination", err)
		return
	}
	c.JSON(http.StatusOK, newAPIDestination(d))
}

// deleteDestination is DELETE /v1/accounts/{account}/destinations/{id}.
func (s *server) deleteDestination(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	if err := s.admin.DeleteDestination(c.Request.Context(), c.Param("account"), id); err != nil {
		s.answer(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
