package api

import (
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/ratelimit"
)

// clickLimits bound the click redirect per source address (IPv6 by /64) and
// per campaign (CONVRELAY_RATE_LIMIT_CLICK_*): a script cannot mint click ids
// without end, nor drown one campaign's real visitors from one address.
type clickLimits struct {
	perIP, perCampaign *ratelimit.Keyed
}

func (s *server) newClickLimits() *clickLimits {
	return &clickLimits{
		perIP:       ratelimit.New(s.Config.RateLimitClickIPRPS, s.Config.RateLimitClickIPBurst),
		perCampaign: ratelimit.New(s.Config.RateLimitClickCampaignRPS, s.Config.RateLimitClickCampaignBurst),
	}
}

// allow answers 429 (and returns false) when the address or the campaign is
// over its rate. The campaign's bucket is keyed by the slug as sent, which is
// well-formed (validCampaignSlug) but may name no campaign: then it only
// spends that made-up key's bucket.
func (l *clickLimits) allow(c *gin.Context, slug string) bool {
	now := time.Now()
	if wait := l.perIP.Reserve(ratelimit.AddrKey(c.ClientIP()), now); wait > 0 {
		tooMany(c, wait, "too many clicks from this address")
		return false
	}
	if wait := l.perCampaign.Reserve(slug, now); wait > 0 {
		tooMany(c, wait, "too many clicks on this campaign")
		return false
	}
	return true
}

// validCampaignSlug says whether s could be a campaign's slug (migration 019:
// 32 lowercase hex digits).
func validCampaignSlug(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
