package console

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// The second factor: the code step of a sign-in, and the Security page where
// a person turns TOTP on (secret and otpauth URL shown, confirmed with a code)
// or off. Every rule is admin's (admin/totp.go).

// signInSecondFactor renders the code step of a sign-in whose password was right.
func (s *Console) signInSecondFactor(c *gin.Context, status int, challenge, msg string) {
	s.renderConsole(c, status, "login_code", gin.H{"Title": "Sign in: code", "Challenge": challenge, "Error": msg})
}

// consoleLoginCode is the code form of a sign-in.
func (s *Console) consoleLoginCode(c *gin.Context) {
	challenge := c.PostForm("challenge")
	p, id, err := s.Admin.SignInCode(c.Request.Context(), challenge, c.PostForm("code"))
	if err != nil {
		switch admin.AsError(err).Kind {
		case admin.KindForbidden:
			s.signInSecondFactor(c, http.StatusUnauthorized, challenge, "That code is not right; try the one your app shows now.")
		case admin.KindNotFound:
			s.renderConsole(c, http.StatusUnauthorized, "login", gin.H{"Title": "Sign in", "Error": "That sign-in ended (too many codes, or five minutes): sign in again."})
		default:
			s.Logger.Error("console sign-in code", "error", err)
			s.renderConsole(c, http.StatusServiceUnavailable, "login", gin.H{"Title": "Sign in", "Error": "Temporary failure; try again."})
		}
		return
	}
	s.startUserSession(c, id)
	s.Logger.Info("console sign-in", "account_id", p.Account, "user_id", p.UserID, "second_factor", true)
	c.Redirect(http.StatusSeeOther, consoleBase+"/")
}

// consoleSecurity is the signed-in person's Security page.
func (s *Console) consoleSecurity(c *gin.Context) { s.renderSecurity(c, http.StatusOK, gin.H{}) }

func (s *Console) renderSecurity(c *gin.Context, status int, data gin.H) {
	data["Title"] = "Security"
	p := consolePrincipal(c)
	data["Person"] = p.UserID != 0 && p.KeyID == 0
	if data["Person"] == true {
		on, err := s.Admin.TOTPEnabled(c.Request.Context())
		if err != nil {
			s.consoleError(c, "second factor", err)
			return
		}
		data["TOTP"] = on
	}
	if _, ok := data["Flash"]; !ok {
		data["Flash"] = c.Query("flash")
	}
	s.renderConsole(c, status, "security", data)
}

// consoleBeginTOTP shows a new secret and its otpauth URL, and the code form.
func (s *Console) consoleBeginTOTP(c *gin.Context) {
	e, err := s.Admin.BeginTOTP(c.Request.Context())
	if err != nil {
		s.renderSecurity(c, http.StatusBadRequest, gin.H{"Error": s.consoleFailure(err)})
		return
	}
	s.renderSecurity(c, http.StatusOK, gin.H{"Enrol": e})
}

func (s *Console) consoleConfirmTOTP(c *gin.Context) {
	if err := s.Admin.ConfirmTOTP(c.Request.Context(), c.PostForm("code")); err != nil {
		s.renderSecurity(c, http.StatusBadRequest, gin.H{"Error": s.consoleFailure(err)})
		return
	}
	flashRedirect(c, consoleBase+"/security", "Two-factor sign-in is on: the next sign-in asks for a code.")
}

// consoleDisableTOTP turns a second factor off: the person's own (Security
// page) or, for an owner, anyone's (Users page, :id).
func (s *Console) consoleDisableTOTP(c *gin.Context) {
	p := consolePrincipal(c)
	id, back := p.UserID, consoleBase+"/security"
	if c.Param("id") != "" {
		id, back = atoi64(c.Param("id")), consoleBase+"/users"
	}
	msg := "Two-factor sign-in is off."
	if err := s.Admin.DisableTOTP(c.Request.Context(), consoleAccount(c), id); err != nil {
		msg = "Not turned off: " + s.consoleFailure(err)
	}
	flashRedirect(c, back, msg)
}
