package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// userSessionPrefix marks a cookie that holds a person's server-side session
// id (store.user_sessions) rather than a signed key session.
const userSessionPrefix = "u."

// startUserSession sets the cookie of a person's session.
func (s *Console) startUserSession(c *gin.Context, sessionID string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: userSessionPrefix + sessionID, Path: consoleBase,
		MaxAge: int(admin.SessionTTL.Seconds()), HttpOnly: true, Secure: s.secureCookies(c), SameSite: http.SameSiteLaxMode})
}

// signInWithEmail is the sign-in form's email and password.
func (s *Console) signInWithEmail(c *gin.Context) {
	p, id, err := s.Admin.SignIn(c.Request.Context(), c.PostForm("email"), c.PostForm("password"))
	if challenge, ok := admin.NeedsSecondFactor(err); ok {
		s.signInSecondFactor(c, http.StatusOK, challenge, "")
		return
	}
	if err != nil {
		status, msg := http.StatusUnauthorized, "That email and password do not match."
		if admin.AsError(err).Kind == admin.KindInternal {
			s.Logger.Error("console sign-in", "error", err)
			status, msg = http.StatusServiceUnavailable, "Temporary failure; try again."
		}
		s.renderConsole(c, status, "login", gin.H{"Title": "Sign in", "Error": msg})
		return
	}
	s.startUserSession(c, id)
	s.Logger.Info("console sign-in", "account_id", p.Account, "user_id", p.UserID)
	c.Redirect(http.StatusSeeOther, consoleBase+"/")
}

func (s *Console) consoleInvitePage(c *gin.Context) {
	s.renderConsole(c, http.StatusOK, "invite", gin.H{"Title": "Join", "Token": c.Param("token")})
}

// consoleAcceptInvite sets the invited person's password and signs them in.
func (s *Console) consoleAcceptInvite(c *gin.Context) {
	_, id, err := s.Admin.AcceptInvite(c.Request.Context(), c.Param("token"), c.PostForm("password"))
	if err != nil {
		status := http.StatusBadRequest
		if admin.AsError(err).Kind == admin.KindNotFound {
			status = http.StatusNotFound
		}
		s.renderConsole(c, status, "invite", gin.H{"Title": "Join", "Token": c.Param("token"), "Error": s.consoleFailure(err)})
		return
	}
	s.startUserSession(c, id)
	c.Redirect(http.StatusSeeOther, consoleBase+"/")
}

func (s *Console) consoleUsers(c *gin.Context) { s.renderUsers(c, http.StatusOK, gin.H{}) }

func (s *Console) renderUsers(c *gin.Context, status int, data gin.H) {
	users, err := s.Admin.ListUsers(c.Request.Context(), consoleAccount(c))
	if err != nil {
		s.consoleError(c, "users", err)
		return
	}
	data["Title"], data["Users"] = "Users", users
	s.renderPeoplePage(c, status, "users", admin.ActManageUsers, data)
}

// renderPeoplePage renders the users or keys page: the roles, whether the
// signed-in principal may change them (manage) and, then, the campaigns to
// scope a new one to.
func (s *Console) renderPeoplePage(c *gin.Context, status int, page string, manage admin.Action, data gin.H) {
	canManage := admin.Allowed(consolePrincipal(c), manage)
	data["Roles"], data["CanManage"] = admin.Roles, canManage
	if canManage {
		campaigns, err := s.Admin.ListCampaigns(c.Request.Context(), consoleAccount(c))
		if err != nil {
			s.consoleError(c, "campaigns", err)
			return
		}
		data["Campaigns"] = campaigns
	}
	if _, ok := data["Flash"]; !ok {
		data["Flash"] = c.Query("flash")
	}
	s.renderConsole(c, status, page, data)
}

// consoleInviteUser invites a person and shows the one-time link.
func (s *Console) consoleInviteUser(c *gin.Context) {
	req := admin.InviteRequest{Email: c.PostForm("email"), Role: c.PostForm("role")}
	if v := strings.TrimSpace(c.PostForm("campaign_id")); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.renderUsers(c, http.StatusBadRequest, gin.H{"Error": "Choose a campaign from the list."})
			return
		}
		req.Campaigns = []int64{id}
	}
	inv, err := s.Admin.InviteUser(c.Request.Context(), consoleAccount(c), req)
	if err != nil {
		s.renderUsers(c, http.StatusBadRequest, gin.H{"Error": "Not invited: " + s.consoleFailure(err)})
		return
	}
	s.renderUsers(c, http.StatusOK, gin.H{"InviteLink": admin.InviteLink(s.Config.PublicURL, inv.Token), "Invited": inv.User.Email, "Mailed": inv.Mailed})
}

func (s *Console) consoleRevokeUser(c *gin.Context) {
	msg := "Revoked: their sessions and keys ended."
	if err := s.Admin.RevokeUser(c.Request.Context(), consoleAccount(c), atoi64(c.Param("id"))); err != nil {
		msg = "Not revoked: " + s.consoleFailure(err)
	}
	flashRedirect(c, consoleBase+"/users", msg)
}

// consoleSignOutEverywhere ends every session of the signed-in person.
func (s *Console) consoleSignOutEverywhere(c *gin.Context) {
	if _, err := s.Admin.SignOutEverywhere(c.Request.Context()); err != nil {
		flashRedirect(c, consoleBase+"/", "Not signed out: "+s.consoleFailure(err))
		return
	}
	s.consoleLogout(c)
}

// consoleAudit is the audit log with its filters.
func (s *Console) consoleAudit(c *gin.Context) {
	f := admin.AuditRequest{Actor: c.Query("actor"), Action: c.Query("action"), Target: c.Query("target"),
		From: c.Query("from"), To: c.Query("to"), Before: consoleCursor(c), Limit: 100}
	rows, err := s.Admin.ListAudit(c.Request.Context(), consoleAccount(c), f)
	errMsg := ""
	if err != nil {
		if admin.AsError(err).Kind != admin.KindInvalid {
			s.consoleError(c, "audit log", err)
			return
		}
		errMsg, rows = s.consoleFailure(err), nil
	}
	next := ""
	if len(rows) == f.Limit {
		next = consoleNextPage(c, "/audit", rows[len(rows)-1].ID)
	}
	s.renderConsole(c, http.StatusOK, "audit", gin.H{"Title": "Audit log", "Rows": rows, "F": f, "Next": next, "Error": errMsg})
}

// userSession reads a person's session cookie: the principal and the session
// info the pages read. ok is false for a session that ended (signed out,
// expired, or the user revoked): the next request after a revocation is refused.
func (s *Console) userSession(c *gin.Context, cookie string) (admin.Principal, consoleSessionInfo, bool, error) {
	p, err := s.Admin.SessionPrincipal(c.Request.Context(), strings.TrimPrefix(cookie, userSessionPrefix))
	if err != nil {
		if admin.AsError(err).Kind == admin.KindNotFound {
			return p, consoleSessionInfo{}, false, nil
		}
		return p, consoleSessionInfo{}, false, err
	}
	return p, consoleSessionInfo{AccountID: p.Account, Expires: time.Now().Add(admin.SessionTTL)}, true, nil
}

func (s *Console) consoleKeys(c *gin.Context) { s.renderKeys(c, http.StatusOK, gin.H{}) }

func (s *Console) renderKeys(c *gin.Context, status int, data gin.H) {
	keys, err := s.Admin.ListKeys(c.Request.Context(), consoleAccount(c))
	if err != nil {
		s.consoleError(c, "keys", err)
		return
	}
	data["Title"], data["Keys"] = "API keys", keys
	s.renderPeoplePage(c, status, "keys", admin.ActManageKeys, data)
}

// consoleCreateKey makes a key and shows it once.
func (s *Console) consoleCreateKey(c *gin.Context) {
	req := admin.KeyRequest{Label: c.PostForm("label"), Role: c.PostForm("role"), UserID: consolePrincipal(c).UserID}
	if v := strings.TrimSpace(c.PostForm("campaign_id")); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.renderKeys(c, http.StatusBadRequest, gin.H{"Error": "Choose a campaign from the list."})
			return
		}
		req.Campaigns = []int64{id}
	}
	_, key, err := s.Admin.CreateKey(c.Request.Context(), consoleAccount(c), req)
	if err != nil {
		s.renderKeys(c, http.StatusBadRequest, gin.H{"Error": "Not created: " + s.consoleFailure(err)})
		return
	}
	s.renderKeys(c, http.StatusOK, gin.H{"NewKey": key})
}

func (s *Console) consoleRevokeKey(c *gin.Context) {
	msg := "Revoked."
	if err := s.Admin.RevokeAPIKey(c.Request.Context(), consoleAccount(c), atoi64(c.Param("id"))); err != nil {
		msg = "Not revoked: " + s.consoleFailure(err)
	}
	flashRedirect(c, consoleBase+"/keys", msg)
}
