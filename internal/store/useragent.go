package store

import (
	"strings"

	"github.com/mileusna/useragent"
)

// Device types reports group clicks by.
const (
	DeviceDesktop = "desktop"
	DeviceMobile  = "mobile"
	DeviceTablet  = "tablet"
	DeviceBot     = "bot"
)

// parseUserAgent reduces a user agent to the report dimensions kept with a click
// (the user agent itself is personal data; these are not). Unknown parts are "".
func parseUserAgent(ua string) (deviceType, os, browser string) {
	if strings.TrimSpace(ua) == "" {
		return "", "", ""
	}
	u := useragent.Parse(ua)
	switch {
	case u.Bot:
		deviceType = DeviceBot
	case u.Tablet:
		deviceType = DeviceTablet
	case u.Mobile:
		deviceType = DeviceMobile
	case u.Desktop:
		deviceType = DeviceDesktop
	}
	return deviceType, limitText(u.OS, 64), limitText(u.Name, 64)
}

// normalizeCountry keeps a two-letter country code, upper-case; anything else
// (a name, Cloudflare's XX and T1) is unknown.
func normalizeCountry(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' || c == "XX" {
		return ""
	}
	return c
}

func limitText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
