package destinations

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	cases := map[string]time.Duration{
		"":                               0,
		"120":                            2 * time.Minute,
		" 5 ":                            5 * time.Second,
		"0":                              0,
		"-3":                             0,
		"soon":                           0,
		"99999999999999999999":           maxRetryAfter,
		"Fri, 20 Nov 2026 12:01:30 GMT":  90 * time.Second,
		"Fri, 20 Nov 2026 11:00:00 GMT":  0,                // already past
		"Friday, 20-Nov-26 12:00:10 GMT": 10 * time.Second, // RFC 850 form
		"Sun, 20 Dec 2026 12:00:00 GMT":  maxRetryAfter,    // capped
	}
	for in, want := range cases {
		if got := parseRetryAfter(in, testNow); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestStatusClassification(t *testing.T) {
	for status, retryable := range map[int]bool{
		400: false, 401: false, 403: false, 404: false, 409: false, 410: false, 422: false,
		408: true, 429: true, 500: true, 502: true, 503: true, 504: true, 301: false,
	} {
		f := newFake(t, status, `{"error":"x"}`)
		f.header = map[string]string{"Retry-After": "7", "Location": "/elsewhere"}
		res, de := send(t, webhookDest(f.URL), sampleConversion())
		if de == nil {
			t.Errorf("HTTP %d: no error", status)
			continue
		}
		if de.Retryable != retryable || de.StatusCode != status || res.StatusCode != status {
			t.Errorf("HTTP %d: retryable=%v status=%d", status, de.Retryable, de.StatusCode)
		}
		if de.RetryAfter != 7*time.Second {
			t.Errorf("HTTP %d: RetryAfter %v", status, de.RetryAfter)
		}
	}
}

func TestRetryAfterDateOn503(t *testing.T) {
	f := newFake(t, 503, "busy")
	f.header = map[string]string{"Retry-After": testNow.Add(45 * time.Second).Format(http.TimeFormat)}
	_, de := send(t, ga4Dest(f.URL), sampleConversion())
	if de == nil || !de.Retryable || de.RetryAfter != 45*time.Second {
		t.Fatalf("got %+v", de)
	}
}

func TestNetworkErrorsAreRetryableAndHideSecrets(t *testing.T) {
	f := newFake(t, 200, "")
	dead := f.URL
	f.Close() // connection refused from now on
	for _, d := range []Destination{metaDest(dead), ga4Dest(dead), googleDest(dead)} {
		res, de := send(t, d, sampleConversion())
		if de == nil || !de.Retryable || de.StatusCode != 0 || res.StatusCode != 0 {
			t.Errorf("%s: got %+v", d.Type, de)
			continue
		}
		msg := de.Error()
		for _, secret := range []string{"EAAB-secret-token", "mp-secret-value", "ya29.oauth", "access_token", "api_secret"} {
			if strings.Contains(msg, secret) {
				t.Errorf("%s: error %q leaks %q", d.Type, msg, secret)
			}
		}
	}
}

func TestTimeoutIsRetryable(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	s := &Sender{Client: &http.Client{Timeout: 50 * time.Millisecond}, Now: func() time.Time { return testNow }, Guard: loopbackAllowed}
	_, err := s.Send(context.Background(), webhookDest(srv.URL), sampleConversion())
	var de *DeliveryError
	if !errors.As(err, &de) || !de.Retryable || !strings.Contains(de.Error(), "timeout") {
		t.Fatalf("got %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = (&Sender{Guard: loopbackAllowed}).Send(ctx, webhookDest(srv.URL), sampleConversion())
	if !errors.As(err, &de) || !de.Retryable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("context deadline: got %v", err)
	}
}

func TestResultBodyIsTruncated(t *testing.T) {
	long := strings.Repeat("é", 3000) // 6000 bytes, 2 bytes per character
	f := newFake(t, 500, long)
	res, de := send(t, webhookDest(f.URL), sampleConversion())
	if de == nil || len(res.Body) > 2048 || len(res.Body) < 2046 || !strings.HasPrefix(long, res.Body) {
		t.Fatalf("body of %d bytes kept (%v)", len(res.Body), de)
	}
	if len(de.Message) > 300 {
		t.Errorf("error message is %d bytes; should be short", len(de.Message))
	}
}

func TestSendRefusesBadDestinations(t *testing.T) {
	_, de := send(t, Destination{Type: "carrier_pigeon"}, sampleConversion())
	if de == nil || de.Retryable || !strings.Contains(de.Error(), "carrier_pigeon") {
		t.Errorf("unknown type: %v", de)
	}
	_, de = send(t, Destination{Type: TypeMeta, Name: "m", Config: map[string]string{"pixel_id": "1"}}, sampleConversion())
	if de == nil || de.Retryable || !strings.Contains(de.Error(), `"access_token"`) {
		t.Errorf("missing token: %v", de)
	}
}

func TestDefaultEndpoints(t *testing.T) {
	ctx := context.Background()
	c := sampleConversion()
	for _, tc := range []struct {
		d    Destination
		want string
	}{
		{metaDest(""), "https://graph.facebook.com/v26.0/1234567890/events?access_token="},
		{tiktokDest(""), "https://business-api.tiktok.com/open_api/v1.3/event/track/"},
		{googleDest(""), "https://googleads.googleapis.com/v26/customers/1234567890:uploadClickConversions"},
		{ga4Dest(""), "https://www.google-analytics.com/mp/collect?"},
	} {
		req, err := platforms[tc.d.Type].build(ctx, tc.d, c, testNow)
		if err != nil || !strings.HasPrefix(req.URL.String(), tc.want) {
			t.Errorf("%s: %v %v, want prefix %s", tc.d.Type, req.URL, err, tc.want)
		}
	}
}
