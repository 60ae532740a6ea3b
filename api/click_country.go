package api

import "github.com/gin-gonic/gin"

// clickCountry is the visitor's country as a CDN in front of Convrelay reports it
// (Cloudflare, CloudFront, or a proxy's X-Country-Code), else the country
// parameter of the click URL; the store keeps it only if it is a two-letter code.
func clickCountry(c *gin.Context) string {
	for _, h := range []string{"CF-IPCountry", "CloudFront-Viewer-Country", "X-Country-Code"} {
		if v := c.GetHeader(h); v != "" {
			return v
		}
	}
	return c.Query("country")
}
