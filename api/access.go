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
