package destinations

import (
	"net/http"
	"testing"
	"time"
)

// TestRetryAfterSecondsCappedAtADay pins the 24-hour cap on a Retry-After given
// in seconds, through the whole Send path: a platform (or a proxy in front of
// it) asking for two days or a year must not park the delivery beyond a day.
// The expected values are literal durations, not the product's constant, so a
// changed cap fails too.
func TestRetryAfterSecondsCappedAtADay(t *testing.T) {
	cases := []struct {
		header string
		want   time.Duration
	}{
		{"86399", 24*time.Hour - time.Second},
		{"86400", 24 * time.Hour},
		{"86401", 24 * time.Hour},
		{"172800", 24 * time.Hour},               // two days
		{"31536000", 24 * time.Hour},             // a year
		{"9223372036", 24 * time.Hour},           // overflows a Duration once multiplied by a second
		{"18446744073709551616", 24 * time.Hour}, // overflows int64
	}
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		for _, tc := range cases {
			f := newFake(t, status, `{}`)
			f.header = map[string]string{"Retry-After": tc.header}
			_, de := send(t, postbackDest(f.URL+"/pb?c={click_id}", ""), sampleConversion())
			if de == nil || !de.Retryable {
				t.Fatalf("HTTP %d: delivery error %v, want a retryable one", status, de)
			}
			if de.RetryAfter != tc.want {
				t.Errorf("HTTP %d Retry-After %s: wait %v, want %v", status, tc.header, de.RetryAfter, tc.want)
			}
		}
	}
}
