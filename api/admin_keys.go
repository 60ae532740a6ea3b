package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// listAPIKeys is GET /v1/accounts/{account}/keys: every key's handle, role and
// last use, never the key.
func (s *server) listAPIKeys(c *gin.Context) {
	keys, err := s.Store.ListAPIKeys(c.Request.Context(), c.Param("account"))
	if err != nil {
		s.failErr(c, "list admin keys", err)
		return
	}
	out := make([]apiKey, 0, len(keys))
	for _, k := range keys {
		out = append(out, newAPIKey(k))
	}
	c.JSON(http.StatusOK, gin.H{"keys": out})
}

// createAPIKey is POST /v1/accounts/{account}/keys {"label","role","campaign_ids"}
// (role owner, admin, buyer, viewer, or read: the pre-roles read-only key):
// the key is in the answer once; only its hash is kept.
func (s *server) createAPIKey(c *gin.Context) {
	var req struct {
		Label     string  `json:"label"`
		Role      string  `json:"role"`
		Campaigns []int64 `json:"campaign_ids"`
		UserID    int64   `json:"user_id"`
	}
	if !bindJSON(c, &req) {
		return
	}
	k, key, err := s.admin.CreateKey(c.Request.Context(), c.Param("account"),
		admin.KeyRequest{Label: req.Label, Role: req.Role, Campaigns: req.Campaigns, UserID: req.UserID})
	if err != nil {
		s.answer(c, err)
		return
	}
	shown := newAPIKey(k)
	shown.Key = key
	c.JSON(http.StatusCreated, shown)
}

// revokeAPIKey is DELETE /v1/accounts/{account}/keys/{id}.
func (s *server) revokeAPIKey(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	if err := s.admin.RevokeAPIKey(c.Request.Context(), c.Param("account"), id); err != nil {
		s.answer(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
