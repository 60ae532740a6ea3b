package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/ratelimit"
	"github.com/convrelay/convrelay/internal/store"
)

// Sign-in: server-side sessions for keys and people alike, a throttle per
// address and per key prefix or email (internal/ratelimit, on
// golang.org/x/time/rate), a small request body, and a CSRF token on the form.

const (
	// keySessionPrefix marks a cookie that holds a key's server-side session
	// id (store.key_sessions); userSessionPrefix (team.go) a person's.
	keySessionPrefix = "k."
	// signInCookie holds the random nonce the sign-in form's CSRF token is
	// bound to (set by the sign-in page, SameSite=Strict).
	signInCookie = "convrelay_signin"
	// signInBodyBytes bounds a sign-in or invitation form.
	signInBodyBytes = 8 << 10
	// Sign-in throttle: per address (IPv6 by /64) and per key prefix or email.
	signInAddrPerMinute = 10
	signInWhoPerMinute  = 5
	// keyPrefixLen is how much of a presented key names its throttle bucket.
	keyPrefixLen = 12
)

// signInLimits are the console's sign-in throttles (one set per Console).
type signInLimits struct {
	perAddr, perWho *ratelimit.Keyed
}

func newSignInLimits() *signInLimits {
	return &signInLimits{
		perAddr: ratelimit.New(signInAddrPerMinute/60.0, signInAddrPerMinute),
		perWho:  ratelimit.New(signInWhoPerMinute/60.0, signInWhoPerMinute),
	}
}

// signInGate bounds the body of a sign-in or invitation form, reads it, and
// throttles per address; the handler then throttles per key prefix or email.
func (s *Console) signInGate(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, signInBodyBytes)
	if err := c.Request.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		status := http.StatusBadRequest
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		c.AbortWithStatus(status)
		return
	}
	if !s.throttle(c, s.signIn.perAddr, ratelimit.AddrKey(c.ClientIP())) {
		c.Abort()
		return
	}
	c.Next()
}

// throttle takes a sign-in attempt from key's bucket; past it, it answers 429
// with the sign-in page and returns false.
func (s *Console) throttle(c *gin.Context, k *ratelimit.Keyed, key string) bool {
	wait := k.Reserve(key, time.Now())
	if wait <= 0 {
		return true
	}
	c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	s.renderSignIn(c, http.StatusTooManyRequests, "Too many sign-in attempts; wait a minute and try again.")
	return false
}

// whoKey names the per-identity bucket of an attempt: the key's prefix, or a
// hash of the email (no address is held in memory as sent).
func whoKey(email, key string) string {
	if email != "" {
		sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
		return "email:" + hex.EncodeToString(sum[:8])
	}
	if len(key) > keyPrefixLen {
		key = key[:keyPrefixLen]
	}
	return "key:" + key
}

// consoleLoginPage shows the sign-in form with a fresh CSRF token.
func (s *Console) consoleLoginPage(c *gin.Context) {
	s.renderSignIn(c, http.StatusOK, "")
}

// renderSignIn renders the sign-in page with a message.
func (s *Console) renderSignIn(c *gin.Context, status int, msg string) {
	data := gin.H{"Title": "Sign in"}
	if msg != "" {
		data["Error"] = msg
	}
	s.renderConsole(c, status, "login", data)
}

// withSignInToken gives the sign-in page its CSRF token: a new nonce in a
// SameSite=Strict cookie, and the form's token an HMAC of it. renderConsole
// calls it for every rendering of the sign-in page (a wrong password or code
// shows the form again, and it must carry a live token).
func (s *Console) withSignInToken(c *gin.Context) error {
	skey, err := s.sessionKey(c.Request.Context())
	if err != nil {
		return err
	}
	nonce := store.RandomID(32)
	http.SetCookie(c.Writer, &http.Cookie{Name: signInCookie, Value: nonce, Path: consoleBase, MaxAge: 3600,
		HttpOnly: true, Secure: s.secureCookies(c), SameSite: http.SameSiteStrictMode})
	c.Set("csrf", csrfToken(skey, "signin|"+nonce))
	return nil
}

// signInCSRF checks the sign-in form's token against its cookie.
func (s *Console) signInCSRF(c *gin.Context) (bool, error) {
	nonce, err := c.Cookie(signInCookie)
	if err != nil || nonce == "" {
		return false, nil
	}
	skey, err := s.sessionKey(c.Request.Context())
	if err != nil {
		return false, err
	}
	return hmac.Equal([]byte(c.PostForm("csrf")), []byte(csrfToken(skey, "signin|"+nonce))), nil
}

// consoleLogin signs in with an API key or an email and password. Both start a
// server-side session: the cookie holds a random id, never the key, and
// nothing in the database can be turned into a cookie.
func (s *Console) consoleLogin(c *gin.Context) {
	ok, err := s.signInCSRF(c)
	if err != nil {
		s.consoleError(c, "sign in", err)
		return
	}
	if !ok {
		s.renderSignIn(c, http.StatusForbidden, "The sign-in form expired; sign in again.")
		return
	}
	email, key := c.PostForm("email"), strings.TrimSpace(c.PostForm("key"))
	if !s.throttle(c, s.signIn.perWho, whoKey(email, key)) {
		return
	}
	if email != "" {
		s.signInWithEmail(c)
		return
	}
	p, _, id, err := s.Admin.KeySignIn(c.Request.Context(), key)
	if err != nil {
		if admin.AsError(err).Kind == admin.KindInternal {
			s.Logger.Error("console sign-in", "error", err)
			s.renderSignIn(c, http.StatusServiceUnavailable, "Temporary failure; try again.")
			return
		}
		s.renderSignIn(c, http.StatusUnauthorized, "That key is not valid.")
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: keySessionPrefix + id, Path: consoleBase,
		MaxAge: int(admin.SessionTTL.Seconds()), HttpOnly: true, Secure: s.secureCookies(c), SameSite: http.SameSiteLaxMode})
	s.Logger.Info("console sign-in", "account_id", p.Account, "key_id", p.KeyID)
	c.Redirect(http.StatusSeeOther, consoleBase+"/")
}

// consoleLogout ends the session at once (its row is deleted) and clears the cookie.
func (s *Console) consoleLogout(c *gin.Context) {
	if cookie, err := c.Cookie(sessionCookie); err == nil {
		var err error
		switch {
		case strings.HasPrefix(cookie, userSessionPrefix):
			err = s.Admin.SignOut(c.Request.Context(), strings.TrimPrefix(cookie, userSessionPrefix))
		case strings.HasPrefix(cookie, keySessionPrefix):
			err = s.Admin.KeySignOut(c.Request.Context(), strings.TrimPrefix(cookie, keySessionPrefix))
		}
		if err != nil {
			s.Logger.Error("console sign-out", "error", err)
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: "", Path: consoleBase, MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies(c), SameSite: http.SameSiteLaxMode})
	c.Redirect(http.StatusSeeOther, consoleBase+"/login")
}

// keySession reads a key's session cookie: ok is false for a session that
// ended (signed out, expired, or the key or its user revoked).
func (s *Console) keySession(c *gin.Context, cookie string) (admin.Principal, store.APIKey, consoleSessionInfo, bool, error) {
	p, k, err := s.Admin.KeySessionPrincipal(c.Request.Context(), strings.TrimPrefix(cookie, keySessionPrefix))
	if err != nil {
		if admin.AsError(err).Kind == admin.KindNotFound {
			return p, k, consoleSessionInfo{}, false, nil
		}
		return p, k, consoleSessionInfo{}, false, err
	}
	return p, k, consoleSessionInfo{AccountID: p.Account, Expires: time.Now().Add(admin.SessionTTL)}, true, nil
}
