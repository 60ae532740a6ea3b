package destinations

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Tests written against the mutants a gremlins run left alive (make mutate):
// each pins a boundary or branch no other test reached.

// A platform's answer carries its HTTP status in the error text; an attempt
// that got no answer has none to show.
func TestErrorTextNamesTheHTTPStatusOnlyWhenThereIsOne(t *testing.T) {
	f := newFake(t, http.StatusBadGateway, `{}`)
	_, de := send(t, postbackDest(f.URL+"/pb?c={click_id}", ""), sampleConversion())
	if de == nil || !strings.HasSuffix(de.Error(), "(HTTP 502)") {
		t.Fatalf("error %v, want it to end with (HTTP 502)", de)
	}
	noAnswer := &DeliveryError{Retryable: true, Message: "meta: request failed: timeout"}
	if got := noAnswer.Error(); got != "meta: request failed: timeout" {
		t.Fatalf("error without an answer = %q, want the message alone", got)
	}
}

// A platform's answer is shown on one line, at most 200 bytes (status line
// included): a short body is quoted whole, a longer one is cut with an ellipsis.
func TestSnippetKeepsAtMost200Bytes(t *testing.T) {
	for _, tc := range []struct {
		body      string
		shortened bool
	}{{strings.Repeat("e", 150), false}, {strings.Repeat("e", 250), true}} {
		f := newFake(t, http.StatusBadGateway, tc.body)
		f.header = map[string]string{"Content-Type": "text/html"}
		_, de := send(t, postbackDest(f.URL+"/pb?c={click_id}", ""), sampleConversion())
		if de == nil {
			t.Fatal("a 502 was taken for a success")
		}
		shown := strings.TrimPrefix(de.Message, "postback: ")
		if got := strings.HasSuffix(shown, "…"); got != tc.shortened || len(strings.TrimSuffix(shown, "…")) > 200 {
			t.Fatalf("%d-byte body: message %q (%d bytes), shortened %v, want %v", len(tc.body), shown, len(shown), got, tc.shortened)
		}
		if !tc.shortened && !strings.Contains(shown, tc.body) {
			t.Fatalf("%d-byte body not quoted whole: %q", len(tc.body), shown)
		}
	}
}

// GA4 custom event names: a name starting with a letter (a to z, ends
// included) keeps it; anything else gets the event_ prefix.
func TestGA4EventNameFirstLetterBounds(t *testing.T) {
	for in, want := range map[string]string{
		"Approve Order": "approve_order",
		"zap_signup":    "zap_signup",
		"9lives":        "event_9lives",
		"_x":            "x",
	} {
		if got := ga4EventName(in); got != want {
			t.Errorf("ga4EventName(%q) = %q, want %q", in, got, want)
		}
	}
}

// GA4 takes timestamp_micros up to 72 hours back, the bound included.
func TestGA4BackdateBoundIncluded(t *testing.T) {
	c := sampleConversion()
	c.EventTime = testNow.Add(-72 * time.Hour)
	if b := ga4Payload(c, testNow); b.TimestampMicros != c.EventTime.UnixMicro() {
		t.Fatalf("timestamp_micros = %d at exactly 72h back, want %d", b.TimestampMicros, c.EventTime.UnixMicro())
	}
}

// Google Ads error text: the specific detail messages, skipping empty ones and
// the one that repeats the generic message.
func TestGoogleAdsErrorTextSkipsRepeatsAndBlanks(t *testing.T) {
	s := googleStatus{Message: "Request contains an invalid argument."}
	raw := `{"message":"Request contains an invalid argument.","details":[{"errors":[{"message":""},` +
		`{"message":"Request contains an invalid argument."},{"message":"The imported gclid could not be decoded."}]}]}`
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatal(err)
	}
	if got, want := s.text(), "Request contains an invalid argument. The imported gclid could not be decoded."; got != want {
		t.Fatalf("text = %q, want %q", got, want)
	}
}

// An empty partialFailureError object (code 0, no message) on a 200 is a
// success; one with only a message is a rejected row, not retried.
func TestGoogleAdsEmptyPartialFailureIsSuccess(t *testing.T) {
	ok := newFake(t, 200, `{"results":[{}],"partialFailureError":{}}`)
	if _, de := send(t, googleDest(ok.URL), sampleConversion()); de != nil {
		t.Fatalf("empty partialFailureError taken for a failure: %v", de)
	}
	bad := newFake(t, 200, `{"results":[{}],"partialFailureError":{"message":"Conversion is too old."}}`)
	_, de := send(t, googleDest(bad.URL), sampleConversion())
	if de == nil || de.Retryable || !strings.Contains(de.Error(), "too old") {
		t.Fatalf("partial failure with a message = %v, want a non-retryable failure naming it", de)
	}
}

// A trait the network sent already hashed passes through (lower-cased), for
// every hex digit including the range ends; hashing it again would make it
// unmatchable.
func TestPreHashedTraitWithBoundaryDigitsPassesThrough(t *testing.T) {
	digest := "09afAF" + strings.Repeat("5", 58)
	f := newFake(t, 200, `{"events_received":1}`)
	c := sampleConversion()
	c.User.Email = digest
	if _, de := send(t, metaDest(f.URL), c); de != nil {
		t.Fatal(de)
	}
	wantString(t, path(t, decode(t, f.only(t).Body), "data", 0, "user_data", "em", 0), strings.ToLower(digest))
}

// A postback template whose host is empty ("https:///pb") is refused.
func TestPostbackTemplateWithoutHostRefused(t *testing.T) {
	if _, _, err := splitTemplate("https:///pb"); err == nil {
		t.Fatal("template without a host accepted")
	}
}

// A transport failure names the operation and the host, never the URL (whose
// query may hold a token).
func TestTransportFailureNamesHostNotURL(t *testing.T) {
	err := &url.Error{Op: "Post", URL: "https://graph.facebook.com/v21.0/1/events?access_token=SECRET", Err: errors.New("boom")}
	de := transportFailure("meta", err)
	if de.Message != "meta: request failed: Post graph.facebook.com: boom" || !de.Retryable {
		t.Fatalf("transport failure = %q (retryable %v)", de.Message, de.Retryable)
	}
}

// A secret of exactly 8 characters shows its last 4; a shorter one none.
func TestRedactShowsLastFourFromEightCharacters(t *testing.T) {
	got := Redact(map[string]string{"access_token": "abcdefgh", "secret": "abcdefg"})
	if got["access_token"] != "****efgh" || got["secret"] != "****" {
		t.Fatalf("redacted = %v, want ****efgh and ****", got)
	}
}

// TikTok: content_type "product" only when there are contents.
func TestTikTokContentTypeOnlyWithContents(t *testing.T) {
	f := newFake(t, 200, tiktokOK)
	c := sampleConversion()
	c.Items = nil
	if _, de := send(t, tiktokDest(f.URL), c); de != nil {
		t.Fatal(de)
	}
	props, _ := path(t, decode(t, f.only(t).Body), "data", 0, "properties").(map[string]any)
	if _, ok := props["content_type"]; ok {
		t.Fatalf("content_type sent without contents: %v", props)
	}
}

// TikTok's system errors are codes 50000 to 59999; the range ends are pinned.
func TestTikTokRetryableCodeRange(t *testing.T) {
	for code, want := range map[int]bool{40100: true, 49999: false, 50000: true, 59999: true, 60000: false} {
		if got := tiktokRetryableCode(code); got != want {
			t.Errorf("tiktokRetryableCode(%d) = %v, want %v", code, got, want)
		}
	}
}

// An HTTP 300 is not a success even with TikTok's code 0 in the body.
func TestTikTok300IsNotSuccess(t *testing.T) {
	f := newFake(t, http.StatusMultipleChoices, `{"code":0,"message":"OK"}`)
	if _, de := send(t, tiktokDest(f.URL), sampleConversion()); de == nil {
		t.Fatal("HTTP 300 taken for a delivered event")
	}
}

// The shortest API version ("v9") is accepted.
func TestShortestAPIVersion(t *testing.T) {
	if !isAPIVersion("v9", false) || isAPIVersion("v", false) {
		t.Fatal(`isAPIVersion: want "v9" accepted and "v" refused`)
	}
}
