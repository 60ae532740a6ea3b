package destinations

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter bounds what a platform can ask for, so a bogus header cannot
// park a delivery beyond any sane retry window.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads a Retry-After header in either RFC 9110 form: delay
// seconds, or an HTTP date (measured from now). Missing, malformed or past
// values give 0, meaning "use the normal backoff".
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if isDigits(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(n) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	if d < 0 {
		return 0
	}
	if d > maxRetryAfter {
		return maxRetryAfter
	}
	return d
}
