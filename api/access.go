package api

import (
	"crypto/subtle"
	"net"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
)

// checkAccess applies the integration's secret and address allow-list; it returns
// why the request is refused, or "".
func checkAccess(c *gin.Context, integ store.Integration) string {
	if integ.Token != "" {
		got := c.GetHeader("X-Convrelay-Token")
		if got == "" {
			got = c.Query("token")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(integ.Token)) != 1 {
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
