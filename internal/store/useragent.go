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
	return deviceType, known(u.OS, knownOS), known(u.Name, knownBrowsers)
}

// The library names what it recognises with its constants; for a user agent it
// does not recognise it returns the agent's first token, which can be anything
// the sender chose (an email address, a name). Only the library's own names are
// kept: these columns stay after an erasure, as report dimensions.
var (
	knownOS = names(useragent.Windows, useragent.WindowsPhone, useragent.WindowsNT, useragent.WindowsPhoneOS,
		useragent.Android, useragent.MacOS, useragent.IOS, useragent.Linux, useragent.FreeBSD, useragent.ChromeOS,
		useragent.BlackBerry, useragent.CrOS, useragent.Harmony)
	knownBrowsers = names(useragent.Opera, useragent.OperaMini, useragent.OperaTouch, useragent.Chrome,
		useragent.HeadlessChrome, useragent.Firefox, useragent.InternetExplorer, useragent.Safari, useragent.Edge,
		useragent.Vivaldi, useragent.MobileSafari, useragent.NetFront, useragent.Mozilla, useragent.Msie,
		useragent.SamsungBrowser, useragent.GoogleAdsBot, useragent.Googlebot, useragent.Twitterbot,
		useragent.FacebookExternalHit, useragent.Applebot, useragent.Bingbot, useragent.YandexBot,
		useragent.YandexAdNet, useragent.FacebookApp, useragent.InstagramApp, useragent.TiktokApp)
)

// OtherAgent stands for a browser or system the parser does not name.
const OtherAgent = "Other"

func names(n ...string) map[string]bool {
	m := make(map[string]bool, len(n))
	for _, s := range n {
		m[s] = true
	}
	return m
}

func known(name string, set map[string]bool) string {
	switch {
	case name == "":
		return ""
	case set[name]:
		return name
	default:
		return OtherAgent
	}
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
