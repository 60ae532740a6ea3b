package api

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/gin-gonic/gin"
)

// RequestIDHeader carries a request's id: taken from the caller when it sends a
// sane one (a proxy's), else generated, and always echoed in the answer.
const RequestIDHeader = "X-Request-Id"

// accessLog gives every admin request an id and logs one line for it when it
// ends: who (account, never the key), what, the status and how long it took.
func (s *server) accessLog(c *gin.Context) {
	start := time.Now()
	id := c.GetHeader(RequestIDHeader)
	if !saneRequestID(id) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set("request_id", id)
	c.Header(RequestIDHeader, id)
	c.Next()
	s.Logger.Info("admin request", "request_id", id, "method", c.Request.Method, "route", c.FullPath(),
		"account_id", c.Param("account"), "status", c.Writer.Status(), "duration_ms", time.Since(start).Milliseconds())
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
