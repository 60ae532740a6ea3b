package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// Intake abuse bounds: a token bucket per source address and one per account.
// The defaults (CONVRELAY_RATE_LIMIT_*) are far above what any network sends;
// they stop a flood, not a busy network. A refused request is answered 429 with
// Retry-After and is neither parsed nor logged.

// keyedLimiters holds one limiter per key, forgetting keys idle for a while so
// a sender cycling through addresses cannot grow it without bound.
type keyedLimiters struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*limiterEntry
	swept time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

const (
	limiterIdle     = 10 * time.Minute
	limiterMaxKeys  = 100_000
	limiterSweepGap = time.Minute
)

func newKeyedLimiters(rps float64, burst int) *keyedLimiters {
	if rps <= 0 {
		return nil // off
	}
	if burst < 1 {
		burst = int(math.Ceil(rps))
	}
	return &keyedLimiters{limit: rate.Limit(rps), burst: burst, m: map[string]*limiterEntry{}}
}

// reserve takes one token for key; it returns how long the caller must wait, 0
// when the request may go now.
func (k *keyedLimiters) reserve(key string, now time.Time) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.swept) > limiterSweepGap || len(k.m) >= limiterMaxKeys {
		k.sweep(now)
	}
	e := k.m[key]
	if e == nil {
		e = &limiterEntry{lim: rate.NewLimiter(k.limit, k.burst)}
		k.m[key] = e
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // refused: the token is given back
		return d
	}
	return 0
}

func (k *keyedLimiters) sweep(now time.Time) {
	k.swept = now
	for key, e := range k.m {
		if now.Sub(e.seen) > limiterIdle {
			delete(k.m, key)
		}
	}
	if len(k.m) >= limiterMaxKeys { // all busy: start over rather than grow
		k.m = map[string]*limiterEntry{}
	}
}

// intakeLimiter is the Gin middleware on the intake routes.
type intakeLimiter struct {
	perIP      *keyedLimiters
	perAccount *keyedLimiters // charged by the intake after the token check
}

func (l *intakeLimiter) handle(c *gin.Context) {
	now := time.Now()
	if l.perIP != nil {
		if wait := l.perIP.reserve(c.ClientIP(), now); wait > 0 {
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
	return l.perAccount.reserve(account, now)
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
