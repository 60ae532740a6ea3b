package api

import (
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// TokenHeader carries an integration's token for networks that can set headers;
// the others put it in the query string as token=.
const TokenHeader = "X-Convrelay-Token"

// takeToken moves an intake request's token= query parameter into TokenHeader
// before anything reads the query, so the secret never reaches the postback log
// (raw query) or the parser. The other parameters keep their order and encoding.
// The check itself is the intake pipeline's (intake.CheckAccess).
func takeToken(c *gin.Context) {
	q := c.Request.URL.RawQuery
	if q == "" {
		return
	}
	parts := strings.Split(q, "&")
	kept := parts[:0]
	for _, p := range parts {
		if v, ok := tokenParam(p); ok {
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

// tokenParam says whether one name=value pair of a raw query is the token,
// with its name read as the query parser reads it (so a percent-encoded name,
// "%74oken=", is taken out too), and returns its raw value.
func tokenParam(pair string) (string, bool) {
	name, value, _ := strings.Cut(pair, "=")
	if name == "token" {
		return value, true
	}
	if !strings.ContainsAny(name, "%+") {
		return "", false
	}
	plain, err := url.QueryUnescape(name)
	return value, err == nil && plain == "token"
}
