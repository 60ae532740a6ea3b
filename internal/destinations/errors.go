package destinations

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DeliveryError is every failure Send reports. Retryable tells the delivery
// activity whether trying again can succeed; RetryAfter is the platform's own
// wish when it gave one.
type DeliveryError struct {
	Retryable  bool
	RetryAfter time.Duration
	StatusCode int // 0 when no HTTP answer was received
	Message    string

	cause error // transport error behind a network failure, for errors.Is
}

// Error returns the platform's own error text, prefixed with the destination
// type, and the HTTP status when there was one.
func (e *DeliveryError) Error() string {
	if e.StatusCode > 0 {
		return fmt.Sprintf("%s (HTTP %d)", e.Message, e.StatusCode)
	}
	return e.Message
}

// Unwrap exposes the transport error (context.DeadlineExceeded, ...).
func (e *DeliveryError) Unwrap() error { return e.cause }

// permanent is a failure no retry can fix (bad config, unusable conversion).
func permanent(platform, format string, args ...any) *DeliveryError {
	return &DeliveryError{Message: platform + ": " + fmt.Sprintf(format, args...)}
}

// retryableStatus: timeouts, throttling and server errors are worth another
// try; any other 4xx means the request itself is wrong.
func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// httpFailure classifies a non-success answer by its status code alone;
// platform parsers adjust Retryable where the body says more.
func httpFailure(platform string, res *http.Response, text string, now time.Time) *DeliveryError {
	// Platforms' own texts are shown back only short and on one line.
	text = snippet([]byte(text))
	if text == "" {
		text = strings.TrimSpace(fmt.Sprintf("HTTP %d %s", res.StatusCode, http.StatusText(res.StatusCode)))
	}
	return &DeliveryError{
		Retryable:  retryableStatus(res.StatusCode),
		RetryAfter: parseRetryAfter(res.Header.Get("Retry-After"), now),
		StatusCode: res.StatusCode,
		Message:    platform + ": " + text,
	}
}

// refusal turns a connection or redirect the outbound guard stopped into a
// failure no retry can fix, naming the address; nil when err is another failure.
func refusal(platform string, err error) *DeliveryError {
	var re *RefusedError
	if errors.As(err, &re) {
		return &DeliveryError{Message: platform + ": refused by the outbound guard: " + re.Error(), cause: err}
	}
	if errors.Is(err, errPlainHTTP) {
		return &DeliveryError{Message: platform + ": refused by the outbound guard: " + errPlainHTTP.Error(), cause: err}
	}
	return nil
}

// transportFailure covers requests that got no answer: connection refused,
// DNS, TLS, timeouts. All are retryable; the idempotency key makes a repeat
// safe even when the first attempt did arrive. The URL is left out of the
// message because Meta and GA4 carry credentials in the query string.
func transportFailure(platform string, err error) *DeliveryError {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		host := ""
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Host
		}
		msg = fmt.Sprintf("%s %s: %v", ue.Op, host, ue.Err)
		if ue.Timeout() {
			msg = "timeout: " + msg
		}
	}
	return &DeliveryError{Retryable: true, Message: platform + ": request failed: " + msg, cause: err}
}

// snippet turns a body that is not the platform's JSON (an HTML error page, a
// proxy message) into a short single-line text for the error message.
func snippet(body []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "")), " ")
	const max = 200 // bytes
	if len(s) > max {
		s = truncateUTF8([]byte(s), max) + "…"
	}
	return s
}

// nonJSONText describes an answer whose body could not be parsed.
func nonJSONText(res *http.Response, body []byte) string {
	text := fmt.Sprintf("HTTP %d %s", res.StatusCode, http.StatusText(res.StatusCode))
	if s := snippet(body); s != "" {
		text += ": " + s
	}
	return text
}
