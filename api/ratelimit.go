package api

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/ratelimit"
)

// Intake abuse bounds: a token bucket per source address and one per account.
// The defaults (CONVRELAY_RATE_LIMIT_*) are far above what any network sends;
// they stop a flood, not a busy network. A refused request is answered 429 with
// Retry-After and is neither parsed nor logged.

// keyedLimiters is the one keyed limiter (internal/ratelimit): bounded,
// idle-swept, IPv6 keyed by /64 through ratelimit.AddrKey.
type keyedLimiters = ratelimit.Keyed

func newKeyedLimiters(rps float64, burst int) *keyedLimiters { return ratelimit.New(rps, burst) }

// intakeLimiter is the Gin middleware on the intake routes.
type intakeLimiter struct {
	perIP      *keyedLimiters
	perAccount *keyedLimiters // charged by the intake after the token check
}

func (l *intakeLimiter) handle(c *gin.Context) {
	now := time.Now()
	if l.perIP != nil {
		if wait := l.perIP.Reserve(ratelimit.AddrKey(c.ClientIP()), now); wait > 0 {
			tooMany(c, wait, "too many requests from this address")
			return
		}
	}
	// The account's bound is charged by the intake once the request has passed
	// its token check (accountWait): a request without the token must not spend
	// the budget of the account's real networks. Refused requests are bounded
	// by the address limit above.
	c.Next()
}

// accountWait takes one token of an existing account's bound; it returns how
// long the caller must wait, 0 when the request may go now (or no bound is set).
func (l *intakeLimiter) accountWait(account string, now time.Time) time.Duration {
	if l == nil || l.perAccount == nil {
		return 0
	}
	return l.perAccount.Reserve(account, now)
}

func tooMany(c *gin.Context, wait time.Duration, msg string) {
	c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	c.AbortWithStatusJSON(http.StatusTooManyRequests, gin.H{"status": "rejected", "error": msg + "; retry later"})
}

// newIntakeLimiter builds the intake's rate limits from the configuration.
func (s *server) newIntakeLimiter() *intakeLimiter {
	return &intakeLimiter{
		perIP:      newKeyedLimiters(s.Config.RateLimitIPRPS, s.Config.RateLimitIPBurst),
		perAccount: newKeyedLimiters(s.Config.RateLimitAccountRPS, s.Config.RateLimitAccountBurst),
	}
}
