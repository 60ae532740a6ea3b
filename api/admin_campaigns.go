package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// createCampaign is POST /v1/accounts/{account}/campaigns.
func (s *server) createCampaign(c *gin.Context) { s.saveCampaign(c, 0, http.StatusCreated) }

// updateCampaign is PUT /v1/accounts/{account}/campaigns/{id}.
func (s *server) updateCampaign(c *gin.Context) {
	if id, ok := idParam(c, "id"); ok {
		s.saveCampaign(c, id, http.StatusOK)
	}
}

// saveCampaign creates (id 0) or replaces campaign id (admin.SaveCampaign) and
// answers it with status.
func (s *server) saveCampaign(c *gin.Context, id int64, status int) {
	var req admin.CampaignRequest
	if !bindJSON(c, &req) {
		return
	}
	out, err := s.admin.SaveCampaign(c.Request.Context(), c.Param("account"), id, req)
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(status, s.newAPICampaign(out))
}

// getCampaign is GET /v1/accounts/{account}/campaigns/{id}.
func (s *server) getCampaign(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	cp, err := s.admin.GetCampaign(c.Request.Context(), c.Param("account"), id)
	if err != nil {
		s.answer(c, err)
		return
	}
	view := s.newAPICampaign(cp)
	if len(cp.Caps) > 0 {
		if view.CapUsage, err = s.Store.CampaignCapUsage(c.Request.Context(), cp.AccountID, cp.ID); err != nil {
			s.failErr(c, "campaign cap usage", err)
			return
		}
	}
	c.JSON(http.StatusOK, view)
}

// listCampaigns is GET /v1/accounts/{account}/campaigns.
func (s *server) listCampaigns(c *gin.Context) {
	cps, err := s.admin.ListCampaigns(c.Request.Context(), c.Param("account"))
	if err != nil {
		s.answer(c, err)
		return
	}
	out := make([]apiCampaign, 0, len(cps))
	for _, cp := range cps {
		out = append(out, s.newAPICampaign(cp))
	}
	c.JSON(http.StatusOK, gin.H{"campaigns": out})
}

// deleteCampaign is DELETE /v1/accounts/{account}/campaigns/{id}.
func (s *server) deleteCampaign(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	if err := s.admin.DeleteCampaign(c.Request.Context(), c.Param("account"), id); err != nil {
		s.answer(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
