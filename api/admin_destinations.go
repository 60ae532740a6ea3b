package api

import (
	"net/http"
	"strings"

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
// A webhook's generated secret (if it had none) is returned to be shown once.
func (s *server) validDestination(c *gin.Context, req destinationRequest) (store.Destination, string, bool) {
	if req.FireOn == 0 {
		req.FireOn = destinations.DefaultFireOn(destinations.Type(req.Type))
	}
	if err := destinations.ValidateFireOn(destinations.Type(req.Type), req.FireOn); err != nil {
		fail(c, http.StatusUnprocessableEntity, err.Error())
		return store.Destination{}, "", false
	}
	if req.Name == "" {
		req.Name = req.Type
	}
	generated := ""
	if req.Type == string(destinations.TypeWebhook) && strings.TrimSpace(req.Config["secret"]) == "" {
		// A webhook without a secret gets a Standard Webhooks one, shown once.
		secret, err := destinations.NewWebhookSecret()
		if err != nil {
			s.failErr(c, "webhook secret", err)
			return store.Destination{}, "", false
		}
		if req.Config == nil {
			req.Config = map[string]string{}
		}
		req.Config["secret"], generated = secret, secret
	}
	d := destinations.Destination{Type: destinations.Type(req.Type), Name: req.Name, Endpoint: req.Endpoint, Config: req.Config}
	if err := destinations.Validate(d); err != nil {
		fail(c, http.StatusUnprocessableEntity, err.Error())
		return store.Destination{}, "", false
	}
	// A URL naming a refused address is refused now rather than at each delivery.
	if err := (destinations.Guard{Allow: s.Config.DestinationAllow}).CheckURLs(d); err != nil {
		fail(c, http.StatusUnprocessableEntity, string(d.Type)+" destination "+quote(d.Name)+": "+err.Error())
		return store.Destination{}, "", false
	}
	if req.CampaignID != nil {
		if _, err := s.Store.GetCampaign(c.Request.Context(), c.Param("account"), *req.CampaignID); err != nil {
			s.failErr(c, "campaign", err)
			return store.Destination{}, "", false
		}
	}
	enabled := true
	if req.Enabled != nil {
		enabled = *req.Enabled
	}
	return store.Destination{AccountID: c.Param("account"), Type: req.Type, Name: req.Name, Endpoint: req.Endpoint,
		Config: req.Config, FireOn: req.FireOn, CampaignID: req.CampaignID, Enabled: enabled}, generated, true
}

// createDestination is POST /v1/accounts/{account}/destinations.
func (s *server) createDestination(c *gin.Context) {
	var req destinationRequest
	if !bindJSON(c, &req) {
		return
	}
	d, generated, ok := s.validDestination(c, req)
	if !ok {
		return
	}
	out, err := s.Store.CreateDestination(c.Request.Context(), d)
	if err != nil {
		s.failErr(c, "create destination", err)
		return
	}
	view := newAPIDestination(out)
	view.WebhookSecret = generated // a generated secret is shown once, here
	c.JSON(http.StatusCreated, view)
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
	// Masked secrets sent back keep the stored ones, unless a host they go to
	// changed: whoever moves a destination must know its secrets.
	req.Config, err = destinations.KeepSecrets(
		destinations.Destination{Type: destinations.Type(old.Type), Endpoint: old.Endpoint, Config: old.Config},
		destinations.Destination{Type: destinations.Type(req.Type), Endpoint: req.Endpoint, Config: req.Config})
	if err != nil {
		fail(c, http.StatusUnprocessableEntity, err.Error())
		return
	}
	d, _, ok := s.validDestination(c, req)
	if !ok {
		return
	}
	d.ID = id
	out, err := s.Store.UpdateDestination(c.Request.Context(), d)
	if err != nil {
		s.failErr(c, "destination", err)
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
	if err := s.Store.DeleteDestination(c.Request.Context(), c.Param("account"), id); err != nil {
		s.failErr(c, "destination", err)
		return
	}
	c.Status(http.StatusNoContent)
}
