package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/store"
)

type destinationRequest struct {
	Type       string              `json:"type"`
	Name       string              `json:"name"`
	Endpoint   string              `json:"endpoint"`
	Config     map[string]string   `json:"config"`
	FireOn     destinations.FireOn `json:"fire_on"` // ["approved","rejected"] or one name`
	CampaignID *int64              `json:"campaign_id"`
	Enabled    *bool               `json:"enabled"`
}

// validDestination checks a request and turns it into a store row; it answers the
// client itself when the request is wrong.
func (s *server) validDestination(c *gin.Context, req destinationRequest) (store.Destination, bool) {
	if req.FireOn == 0 {
		req.FireOn = destinations.DefaultFireOn(destinations.Type(req.Type))
	}
	if err := destinations.ValidateFireOn(destinations.Type(req.Type), req.FireOn); err != nil {
		fail(c, http.StatusUnprocessableEntity, err.Error())
		return store.Destination{}, false
	}
	if req.Name == "" {
		req.Name = req.Type
	}
	d := destinations.Destination{Type: destinations.Type(req.Type), Name: req.Name, Endpoint: req.Endpoint, Config: req.Config}
	if err := destinations.Validate(d); err != nil {
		fail(c, http.StatusUnprocessableEntity, err.Error())
		return store.Destination{}, false
	}
	if req.CampaignID != nil {
		if _, err := s.Store.GetCampaign(c.Request.Context(), c.Param("account"), *req.CampaignID); err != nil {
			s.failErr(c, "campaign", err)
			return store.Destination{}, false
		}
	}
	enabled := true
	if req.Enabled != nil {
		enabled = *req.Enabled
	}
	return store.Destination{AccountID: c.Param("account"), Type: req.Type, Name: req.Name, Endpoint: req.Endpoint,
		Config: req.Config, FireOn: req.FireOn, CampaignID: req.CampaignID, Enabled: enabled}, true
}

// redacted hides secrets: they are never returned in full.
func redacted(d store.Destination) store.Destination {
	d.Config = destinations.Redact(d.Config)
	return d
}

// keepSecrets lets a client send a destination back as the API showed it: a
// secret given exactly in its masked form keeps the stored value instead of
// becoming the mask.
func keepSecrets(cfg, stored map[string]string) map[string]string {
	shown := destinations.Redact(stored)
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		if old, ok := stored[k]; ok && v != old && v == shown[k] {
			v = old
		}
		out[k] = v
	}
	return out
}

// createDestination is POST /v1/accounts/{account}/destinations.
func (s *server) createDestination(c *gin.Context) {
	var req destinationRequest
	if !bindJSON(c, &req) {
		return
	}
	d, ok := s.validDestination(c, req)
	if !ok {
		return
	}
	out, err := s.Store.CreateDestination(c.Request.Context(), d)
	if err != nil {
		s.failErr(c, "create destination", err)
		return
	}
	c.JSON(http.StatusCreated, redacted(out))
}

// updateDestination is PUT /v1/accounts/{account}/destinations/{id}.
func (s *server) updateDestination(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	var req destinationRequest
	if !bindJSON(c, &req) {
		return
	}
	old, err := s.Store.GetDestination(c.Request.Context(), c.Param("account"), id)
	if err != nil {
		s.failErr(c, "destination", err)
		return
	}
	req.Config = keepSecrets(req.Config, old.Config)
	d, ok := s.validDestination(c, req)
	if !ok {
		return
	}
	d.ID = id
	out, err := s.Store.UpdateDestination(c.Request.Context(), d)
	if err != nil {
		s.failErr(c, "destination", err)
		return
	}
	c.JSON(http.StatusOK, redacted(out))
}

// listDestinations is GET /v1/accounts/{account}/destinations.
func (s *server) listDestinations(c *gin.Context) {
	ds, err := s.Store.ListDestinations(c.Request.Context(), c.Param("account"))
	if err != nil {
		s.failErr(c, "list destinations", err)
		return
	}
	for i := range ds {
		ds[i] = redacted(ds[i])
	}
	c.JSON(http.StatusOK, gin.H{"destinations": ds})
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
	c.JSON(http.StatusOK, redacted(d))
}

// deleteDestination is DELETE /v1/accounts/{account}/destinations/{id}.
func (s *server) deleteDestination(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	if err := s.Store.DeleteDestination(c.Request.Context(), c.Param("account"), id); err != nil {
		s.failErr(c, "destination", err)
		return
	}
	c.Status(http.StatusNoContent)
}
