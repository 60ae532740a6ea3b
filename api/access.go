package api

import (
	"crypto/subtle"
	"net"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
)

// TokenHeader carries an integration's token for networks that can set headers;
// the others put it in the query string as token=.
const TokenHeader = "X-Convrelay-Token"

// takeToken moves an intake request's token= query parameter into TokenHeader
// before anything reads the query, so the secret never reaches the postback log
// (raw query) or the parser. The other parameters keep their order and encoding.
func takeToken(c *gin.Context) {
	q := c.Request.URL.RawQuery
	if q == "" || !strings.Contains(q, "token=") {
		return
	}
	parts := strings.Split(q, "&")
	kept := parts[:0]
	for _, p := range parts {
		if v, ok := strings.CutPrefix(p, "token="); ok {
			if c.Request.Header.Get(TokenHeader) == "" {
				if plain, err := url.QueryUnescape(v); err == nil {
					c.Request.Header.Set(TokenHeader, plain)
				}
			}
			continue
		}
		kept = append(kept, p)
	}
	c.Request.URL.RawQuery = strings.Join(kept, "&")
}

// checkAccess applies the integration's tokens and address allow-list; it
// returns why the request is refused, or "". A closed integration (every one not
// created explicitly open) takes any of its live tokens: during a rotation both
// the old and the new one work until the old is revoked.
func checkAccess(c *gin.Context, integ store.Integration) string {
	if !integ.Open {
		got := c.GetHeader(TokenHeader)
		if got == "" {
			got = c.Query("token")
		}
		if !anyTokenMatches(got, integ.Tokens) {
			return "invalid or missing token"
		}
	}
	if len(integ.AllowedCIDRs) > 0 {
		ip := net.ParseIP(c.ClientIP())
		allowed := false
		for _, cidr := range integ.AllowedCIDRs {
			if _, n, err := net.ParseCIDR(cidr); err == nil && ip != nil && n.Contains(ip) {
				allowed = true
				break
			}
		}
		if !allowed {
			return "source address " + c.ClientIP() + " is not allowed"
		}
	}
	return ""
}

// anyTokenMatches compares got with every live token in constant time, without
// stopping at the first match, so the answer time says nothing about which
// token (or how much of one) matched.
func anyTokenMatches(got string, tokens []store.IntegrationToken) bool {
	if got == "" {
		return false
	}
	match := 0
	for _, t := range tokens {
		match |= subtle.ConstantTimeCompare([]byte(got), []byte(t.Secret))
	}
	return match == 1
}
