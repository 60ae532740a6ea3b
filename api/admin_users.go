package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/store"
)

// apiUser is one person of the account (never their password hash).
type apiUser struct {
	store.User
	InviteLink string `json:"invite_link,omitempty"`
	// InviteMailed: the link was also mailed (CONVRELAY_SMTP_* set).
	InviteMailed bool `json:"invite_mailed,omitempty"`
}

// listUsers is GET /v1/accounts/{account}/users.
func (s *server) listUsers(c *gin.Context) {
	users, err := s.admin.ListUsers(c.Request.Context(), c.Param("account"))
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"users": users})
}

// inviteUser is POST /v1/accounts/{account}/users {"email","role","campaign_ids"}:
// the answer carries the one-time invitation link, shown once.
func (s *server) inviteUser(c *gin.Context) {
	var req admin.InviteRequest
	if !bindJSON(c, &req) {
		return
	}
	inv, err := s.admin.InviteUser(c.Request.Context(), c.Param("account"), req)
	if err != nil {
		s.answer(c, err)
		return
	}
	c.JSON(http.StatusCreated, apiUser{User: inv.User, InviteLink: admin.InviteLink(s.Config.PublicURL, inv.Token),
		InviteMailed: inv.Mailed})
}

// revokeUser is DELETE /v1/accounts/{account}/users/{id}: their sessions and keys end at once.
func (s *server) revokeUser(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		return
	}
	if err := s.admin.RevokeUser(c.Request.Context(), c.Param("account"), id); err != nil {
		s.answer(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
