// Package api is Convrelay's HTTP surface (Gin): the postback intake networks call,
// the click redirect, the admin API under /v1, health and metrics.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/console"
	"github.com/convrelay/convrelay/internal/accountcache"
	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/store"
)

// Dispatcher is told when a postback is waiting in the log.
type Dispatcher interface{ Poke() }

// Deps are the API's dependencies, built once by the main.
type Deps struct {
	Store      *store.Store
	Temporal   client.Client // for re-drives and readiness; may be nil in tests of the intake alone
	Dispatcher Dispatcher
	Config     config.Config
	Logger     *slog.Logger
	Metrics    *metrics.Metrics
	Sender     *destinations.Sender // sends test events; nil: a default Sender
	Accounts   *accountcache.Reader // shared with the dispatcher and the worker; nil: one of its own
}

type server struct {
	Deps
	intake *intake.Pipeline
	admin  *admin.Service
	limits *intakeLimiter
	tag    *tagLimits
	clicks *clickLimits
}

// NewHandler builds the HTTP handler.
func NewHandler(d Deps) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	if d.Metrics == nil {
		d.Metrics = metrics.New()
	}
	if d.Accounts == nil {
		d.Accounts = accountcache.New(d.Store, 0)
	}
	s := &server{Deps: d, intake: intake.New(d.Store, d.Accounts, d.Logger)}
	s.intake.DefaultAccount = d.Config.DefaultAccount
	s.intake.Refused = d.Metrics.Refused
	if d.Config.RefusedLogPerMinute > 0 {
		s.intake.RefusedPerMinute = d.Config.RefusedLogPerMinute
	}
	s.admin = &admin.Service{Store: d.Store, Temporal: d.Temporal, Config: d.Config, Accounts: d.Accounts,
		Sender: d.Sender, Importer: s.intake, Logger: d.Logger, Poke: func() {
			if d.Dispatcher != nil {
				d.Dispatcher.Poke()
			}
		}}
	r := gin.New()
	r.Use(gin.Recovery())
	if err := r.SetTrustedProxies(d.Config.TrustedProxies); err != nil {
		d.Logger.Warn("ignoring CONVRELAY_TRUSTED_PROXIES", "error", err)
	}
	r.HandleMethodNotAllowed = true
	r.NoRoute(func(c *gin.Context) { fail(c, http.StatusNotFound, "no such endpoint") })
	r.NoMethod(func(c *gin.Context) { fail(c, http.StatusMethodNotAllowed, "method not allowed") })

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{})))

	// Intake routes are rate limited (ratelimit.go), then take their token out
	// of the query (access.go).
	s.limits = s.newIntakeLimiter()
	limit := s.limits.handle
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		r.Handle(m, "/:account/collect/:integration", limit, takeToken, s.collect)
		r.Handle(m, "/:account/pb", limit, takeToken, s.collectAccountPB)
		r.Handle(m, "/pb", limit, takeToken, s.collectGlobalPB)
		r.Handle(m, "/pb/", limit, takeToken, s.collectGlobalPB)
	}
	s.clicks = s.newClickLimits()
	r.GET("/c/:campaign", s.clickRedirect)

	// The first-party tag (tag.go): public, bounded by origins and limits.
	s.tag = s.newTagLimits()
	r.GET("/t.js", s.tagScript)
	for _, m := range []string{http.MethodPost, http.MethodOptions} {
		r.Handle(m, "/:account/t/hit", s.tagGate, s.tagHit)
		r.Handle(m, "/:account/t/conversion", s.tagGate, s.tagConversion)
	}

	(&console.Console{Store: d.Store, Admin: s.admin, Intake: s.intake, Config: d.Config, Logger: d.Logger}).Mount(r)

	v1 := r.Group("/v1/accounts/:account", boundAdminBody, s.accessLog, s.authenticate, s.authorize)
	v1.GET("/presets", s.listPresets)
	v1.GET("/integrations", s.listIntegrations)
	v1.POST("/integrations", s.createIntegration)
	v1.GET("/integrations/:slug", s.getIntegration)
	v1.DELETE("/integrations/:slug", s.deleteIntegration)
	v1.PUT("/integrations/:slug/status_rules", s.setIntegrationStatusRules)
	v1.PUT("/integrations/:slug/duplicate_mode", s.setIntegrationDuplicateMode)
	v1.POST("/integrations/:slug/tokens", s.addIntegrationToken)
	v1.DELETE("/integrations/:slug/tokens/:id", s.revokeIntegrationToken)
	v1.GET("/postbacks", s.listPostbacks)
	v1.GET("/postbacks/export", s.exportPostbacks)
	v1.POST("/postbacks/test", s.testPostback)
	v1.POST("/postbacks/:id/retry", s.retryPostback)
	v1.GET("/conversions", s.listConversions)
	v1.GET("/conversions/export", s.exportConversions)
	v1.GET("/conversions/:id", s.getConversion)
	v1.GET("/campaigns", s.listCampaigns)
	v1.POST("/campaigns", s.createCampaign)
	v1.GET("/campaigns/:id", s.getCampaign)
	v1.PUT("/campaigns/:id", s.updateCampaign)
	v1.DELETE("/campaigns/:id", s.deleteCampaign)
	v1.POST("/clicks", s.createClick)
	v1.GET("/destinations", s.listDestinations)
	v1.POST("/destinations", s.createDestination)
	v1.GET("/destinations/:id", s.getDestination)
	v1.PUT("/destinations/:id", s.updateDestination)
	v1.DELETE("/destinations/:id", s.deleteDestination)
	v1.POST("/destinations/:id/test", s.testDestination)
	v1.POST("/destinations/:id/backfill", s.backfillDestination)
	v1.GET("/deliveries", s.listDeliveries)
	v1.POST("/deliveries/:id/retry", s.retryDelivery)
	v1.GET("/reports", s.report)
	v1.GET("/keys", s.listAPIKeys)
	v1.POST("/keys", s.createAPIKey)
	v1.DELETE("/keys/:id", s.revokeAPIKey)
	v1.POST("/erasure", s.erase)
	v1.GET("/settings", s.getSettings)
	v1.PUT("/settings", s.putSettings)
	v1.GET("/tag", s.getTagSettings)
	v1.PUT("/tag", s.putTagSettings)
	v1.POST("/imports", s.createImport)
	v1.POST("/costs", s.createCost)
	v1.POST("/costs/import", s.importCosts)
	v1.GET("/audit", s.listAudit)
	v1.GET("/users", s.listUsers)
	v1.POST("/users", s.inviteUser)
	v1.DELETE("/users/:id", s.revokeUser)
	return r
}

func (s *server) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

// readyz answers 200 only when PostgreSQL and Temporal both answer.
func (s *server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	checks := gin.H{}
	ready := true
	if err := s.Store.Ping(ctx); err != nil {
		checks["postgres"], ready = "unreachable", false
		s.Logger.Warn("readiness: postgres", "error", err)
	} else {
		checks["postgres"] = "ok"
	}
	if s.Temporal != nil {
		if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			checks["temporal"], ready = "unreachable", false
			s.Logger.Warn("readiness: temporal", "error", err)
		} else {
			checks["temporal"] = "ok"
		}
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, gin.H{"ready": ready, "checks": checks})
}
