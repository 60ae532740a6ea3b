package store

import "testing"

// A user agent the parser does not recognise keeps no text of its own in the
// report dimensions (they stay after an erasure): its first token could be an
// email address or a name.
func TestUserAgentDimensionsKeepOnlyKnownNames(t *testing.T) {
	for _, c := range []struct {
		ua, device, os, browser string
	}{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", DeviceDesktop, "Windows", "Firefox"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", DeviceMobile, "iOS", "Safari"},
		{"anna@example.org", "", "", OtherAgent},
		{"Anna Schmidt/1.0 (her laptop)", "", "", OtherAgent},
		{"", "", "", ""},
	} {
		device, os, browser := parseUserAgent(c.ua)
		if device != c.device || os != c.os || browser != c.browser {
			t.Errorf("parseUserAgent(%q) = %q, %q, %q; want %q, %q, %q", c.ua, device, os, browser, c.device, c.os, c.browser)
		}
	}
}
