package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// adminBodyBytes bounds an admin API request body (settings, campaigns,
// destinations, erasure...: all far smaller). CSV imports have their own,
// larger bound (importMaxBytes).
const adminBodyBytes = 1 << 20

// boundAdminBody caps every admin request body; reading past the cap fails,
// and bindJSON answers it 413.
func boundAdminBody(c *gin.Context) {
	if c.Request.Body != nil && !strings.HasSuffix(c.FullPath(), "/imports") {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, adminBodyBytes)
	}
	c.Next()
}

// tooLarge says whether err is a body read past its bound.
func tooLarge(err error) bool {
	var tooBig *http.MaxBytesError
	return errors.As(err, &tooBig)
}
