package console

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/store"
)

// The console is server-rendered HTML (html/template) with a little progressive
// JavaScript (copy buttons, live refresh), every asset embedded in the binary:
// nothing is loaded from another host and nothing is built at run time, and every
// page works without JavaScript.
//
//go:embed templates/*.html static/*
var consoleFiles embed.FS

const (
	sessionCookie  = "convrelay_session"
	sessionTTL     = 12 * time.Hour
	consoleSecret  = "console_session_hmac"
	consoleBase    = "/console"
	consoleSession = "console_session"
)

// consoleSessionInfo is who is signed in.
type consoleSessionInfo struct {
	AccountID string
	Expires   time.Time
}

var (
	consoleTemplatesOnce sync.Once
	consoleTemplates     map[string]*template.Template
	consoleTemplatesErr  error
)

// consolePages lists the page templates; each is parsed with the layout.
var consolePages = []string{"login", "home", "integrations", "postbacks", "postback", "conversions", "conversion",
	"deliveries", "campaigns", "destinations", "reports", "users", "audit", "invite", "keys",
	"login_code", "security", "settings", "import", "erasure"}

func loadConsoleTemplates() (map[string]*template.Template, error) {
	consoleTemplatesOnce.Do(func() {
		funcs := template.FuncMap{
			"time": func(t time.Time) string {
				if t.IsZero() {
					return ""
				}
				return t.UTC().Format("2006-01-02 15:04:05")
			},
			"add": func(a, b int) int { return a + b },
		}
		consoleTemplates = map[string]*template.Template{}
		for _, p := range consolePages {
			t, err := template.New("layout.html").Funcs(funcs).ParseFS(consoleFiles, "templates/layout.html", "templates/"+p+".html")
			if err != nil {
				consoleTemplatesErr = fmt.Errorf("console template %s: %w", p, err)
				return
			}
			consoleTemplates[p] = t
		}
	})
	return consoleTemplates, consoleTemplatesErr
}

// Console is the HTML adapter: pages for people over the admin layer
// (internal/admin) and the intake pipeline's dry run, signed in with an API key
// or an email (signin.go).
type Console struct {
	Store  *store.Store
	Admin  *admin.Service
	Intake *intake.Pipeline
	Config config.Config
	Logger *slog.Logger

	sessKey idSecretCache
	signIn  *signInLimits
}

// keyContext is where consoleAuth leaves the signed-in store.APIKey.
const keyContext = "convrelay.console_key"

// Mount adds the console's routes under /console.
func (s *Console) Mount(r *gin.Engine) {
	static, _ := fs.Sub(consoleFiles, "static")
	r.StaticFS(consoleBase+"/static", http.FS(static))
	s.signIn = newSignInLimits()
	r.GET(consoleBase+"/login", s.consoleLoginPage)
	r.POST(consoleBase+"/login", s.signInGate, s.consoleLogin)
	r.POST(consoleBase+"/login/code", s.signInGate, s.consoleLoginCode)
	r.GET(consoleBase+"/invite/:token", s.consoleInvitePage)
	r.POST(consoleBase+"/invite/:token", s.signInGate, s.consoleAcceptInvite)
	g := r.Group(consoleBase, s.consoleAuth)
	g.POST("/logout", s.consoleLogout)
	g.GET("", s.consoleHome)
	g.GET("/", s.consoleHome)
	g.GET("/integrations", s.consoleIntegrations)
	g.POST("/integrations", s.consoleCreateIntegration)
	g.POST("/integrations/test", s.consoleTestPostback)
	g.POST("/integrations/:slug/tokens", s.consoleRotateToken)
	g.POST("/integrations/:slug/tokens/:id/revoke", s.consoleRevokeToken)
	g.GET("/postbacks", s.consolePostbacks)
	g.GET("/postbacks/:id", s.consolePostback)
	g.POST("/postbacks/:id/retry", s.consoleRetryPostback)
	g.GET("/conversions", s.consoleConversions)
	g.GET("/conversions/:id", s.consoleConversion)
	g.GET("/deliveries", s.consoleDeliveries)
	g.POST("/deliveries/:id/retry", s.consoleRetryDelivery)
	g.GET("/campaigns", s.consoleCampaigns)
	g.POST("/campaigns", s.consoleCreateCampaign)
	g.GET("/destinations", s.consoleDestinations)
	g.POST("/destinations", s.consoleSaveDestination)
	g.POST("/destinations/:id/test", s.consoleTestDestination)
	g.POST("/destinations/:id/backfill", s.consoleBackfill)
	g.GET("/reports", s.consoleReports)
	g.GET("/reports.csv", s.consoleReportsCSV)
	g.GET("/audit", s.consoleAudit)
	g.GET("/users", s.consoleUsers)
	g.GET("/keys", s.consoleKeys)
	g.POST("/keys", s.consoleCreateKey)
	g.POST("/keys/:id/revoke", s.consoleRevokeKey)
	g.POST("/users", s.consoleInviteUser)
	g.POST("/users/:id/revoke", s.consoleRevokeUser)
	g.POST("/signout-everywhere", s.consoleSignOutEverywhere)
	s.mountAccountPages(r, g)
}

// sessionKey is the installation secret that keys the console's CSRF tokens
// (sessions are server-side: signin.go).
func (s *Console) sessionKey(ctx context.Context) ([]byte, error) {
	return s.sessKey.get(ctx, s.Store, consoleSecret)
}

// csrfToken is bound to the session: a form posted from another site cannot know it.
func csrfToken(key []byte, cookie string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("csrf|" + cookie))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

func (s *Console) secureCookies(c *gin.Context) bool {
	return c.Request.TLS != nil || strings.HasPrefix(s.Config.PublicURL, "https://")
}

// consoleAuth admits a request with a valid session whose key still exists, and
// checks the CSRF token on every form post.
func (s *Console) consoleAuth(c *gin.Context) {
	ctx := c.Request.Context()
	cookie, err := c.Cookie(sessionCookie)
	if err != nil || cookie == "" {
		c.Redirect(http.StatusSeeOther, consoleBase+"/login")
		c.Abort()
		return
	}
	skey, err := s.sessionKey(ctx)
	if err != nil {
		s.consoleError(c, "session", err)
		c.Abort()
		return
	}
	if strings.HasPrefix(cookie, userSessionPrefix) {
		p, info, ok, err := s.userSession(c, cookie)
		if s.refuseSession(c, ok, err) {
			return
		}
		s.admit(c, skey, cookie, info, p)
		return
	}
	if !strings.HasPrefix(cookie, keySessionPrefix) { // an old signed cookie, or a forged one
		c.Redirect(http.StatusSeeOther, consoleBase+"/login")
		c.Abort()
		return
	}
	p, key, info, ok, err := s.keySession(c, cookie)
	if s.refuseSession(c, ok, err) {
		return
	}
	c.Set(keyContext, key)
	s.admit(c, skey, cookie, info, p)
}

// refuseSession answers a session lookup that did not admit: an error page for a
// failed lookup, the sign-in page for an unknown or ended session. It reports
// whether it answered.
func (s *Console) refuseSession(c *gin.Context, ok bool, err error) bool {
	switch {
	case err != nil:
		s.consoleError(c, "session", err)
	case !ok:
		c.Redirect(http.StatusSeeOther, consoleBase+"/login")
	default:
		return false
	}
	c.Abort()
	return true
}

// admit checks the CSRF token of a form post, carries the principal in the
// request's context and lets the page through when its action is allowed.
func (s *Console) admit(c *gin.Context, skey []byte, cookie string, info consoleSessionInfo, p admin.Principal) {
	csrf := csrfToken(skey, cookie)
	if c.Request.Method == http.MethodPost && !hmac.Equal([]byte(c.PostForm("csrf")), []byte(csrf)) {
		c.AbortWithStatus(http.StatusForbidden)
		return
	}
	c.Request = c.Request.WithContext(admin.WithPrincipal(c.Request.Context(), p))
	// Each page names its action; admin's rule table decides (console/roles.go).
	if !s.allowed(c, p) {
		c.Abort()
		return
	}
	c.Set(consoleSession, info)
	c.Set("csrf", csrf)
	c.Next()
}

func consoleAccount(c *gin.Context) string {
	info, _ := c.Get(consoleSession)
	s, _ := info.(consoleSessionInfo)
	return s.AccountID
}

// renderConsole renders a page into a buffer first, so a template error never
// leaves half a page.
func (s *Console) renderConsole(c *gin.Context, status int, page string, data gin.H) {
	tmpls, err := loadConsoleTemplates()
	if err != nil {
		s.Logger.Error("console templates", "error", err)
		c.String(http.StatusInternalServerError, "console unavailable")
		return
	}
	if page == "login" { // signin.go: the form's CSRF token
		if err := s.withSignInToken(c); err != nil {
			s.consoleError(c, "sign in", err)
			return
		}
	}
	data["Page"] = page
	data["Account"] = consoleAccount(c)
	data["CSRF"], _ = c.Get("csrf")
	data["Base"] = consoleBase
	if p, ok := admin.PrincipalFrom(c.Request.Context()); ok {
		data["ReadOnly"] = !admin.Allowed(p, admin.ActChangeSetup)
		data["Role"] = p.Role
		data["Who"] = p.Who()
		data["Can"] = func(a string) bool { return admin.Allowed(p, admin.Action(a)) }
	}
	var buf bytes.Buffer
	if err := tmpls[page].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		s.Logger.Error("console render", "page", page, "error", err)
		c.String(http.StatusInternalServerError, "console page failed")
		return
	}
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

func (s *Console) consoleError(c *gin.Context, what string, err error) {
	var ae *admin.Error
	if errors.As(err, &ae) && ae.Kind != admin.KindInternal {
		status := map[admin.Kind]int{admin.KindForbidden: http.StatusForbidden, admin.KindNotFound: http.StatusNotFound,
			admin.KindInvalid: http.StatusBadRequest}[ae.Kind]
		if status == 0 {
			status = http.StatusConflict
		}
		c.String(status, ae.Message)
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		c.String(http.StatusNotFound, what+": not found")
		return
	}
	s.Logger.Error("console", "what", what, "error", err)
	c.String(http.StatusInternalServerError, what+": internal error")
}

// flashRedirect goes back to a page with a message in the query (shown once).
func flashRedirect(c *gin.Context, path, msg string) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	c.Redirect(http.StatusSeeOther, path+sep+"flash="+url.QueryEscape(msg))
}
