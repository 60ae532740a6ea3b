package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
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

// createAPIKey is POST /v1/accounts/{account}/keys {"label","role":"admin"|"read"}:
// the key is in the answer once; only its hash is kept.
func (s *server) createAPIKey(c *gin.Context) {
	var req struct {
		Label string `json:"label"`
		Role  string `json:"role"`
	}
	if !bindJSON(c, &req) {
		return
	}
	if req.Role == "" {
		req.Role = store.RoleRead
	}
	if req.Role != store.RoleAdmin && req.Role != store.RoleRead {
		fail(c, http.StatusUnprocessableEntity, "role must be admin or read")
		return
	}
	k, key, err := s.Store.CreateAPIKey(c.Request.Context(), c.Param("account"), req.Label, req.Role)
	if err != nil {
		s.failErr(c, "create admin key", err)
		return
	}
	s.Logger.Info("admin key created", "account_id", k.AccountID, "key_id", k.ID, "role", k.Role)
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
	if err := s.Store.RevokeAPIKey(c.Request.Context(), c.Param("account"), id); err != nil {
		if errors.Is(err, store.ErrLastAdminKey) {
			fail(c, http.StatusConflict, store.ErrLastAdminKey.Error())
			return
		}
		s.failErr(c, "admin key", err)
		return
	}
	s.Logger.Info("admin key revoked", "account_id", c.Param("account"), "key_id", id)
	c.Status(http.StatusNoContent)
}
