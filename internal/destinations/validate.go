package destinations

import (
	"fmt"
	"net/url"
	"strings"
)

// requiredConfig lists, per type, the keys a destination cannot work without,
// in the order they are reported.
var requiredConfig = map[Type][]string{
	TypeMeta:      {"pixel_id", "access_token"},
	TypeTikTok:    {"pixel_code", "access_token"},
	TypeGoogleAds: {"customer_id", "conversion_action"}, // developer_token for api google_ads; OAuth, see googleAdsAuthMissing
	TypeGA4:       {"measurement_id", "api_secret"},
	TypePostback:  {"url"},
	TypeWebhook:   {"url", "secret"},
}

// Validate checks that d can be delivered to: a known type, every required
// config key present, URLs that parse. The message names what is missing so
// it can be shown to the user as is.
func Validate(d Destination) error {
	required, ok := requiredConfig[d.Type]
	if !ok {
		return fmt.Errorf("destination %q: unknown type %q", d.Name, d.Type)
	}
	var missing []string
	for _, k := range required {
		if d.cfg(k) == "" {
			missing = append(missing, fmt.Sprintf("%q", k))
		}
	}
	if d.Type == TypeGoogleAds {
		if a := d.cfg("api"); a != "" && !strings.EqualFold(a, GoogleAPIDataManager) && !strings.EqualFold(a, GoogleAPIAds) {
			return fmt.Errorf("google_ads destination %q: api must be data_manager or google_ads, not %q", d.Name, a)
		}
		if googleAPI(d) == GoogleAPIAds && d.cfg("developer_token") == "" {
			missing = append(missing, `"developer_token"`)
		}
		missing = append(missing, googleAdsAuthMissing(d)...)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s destination %q: missing config %s", d.Type, d.Name, strings.Join(missing, ", "))
	}
	if d.Endpoint != "" {
		if err := checkHTTPURL(d.Endpoint); err != nil {
			return fmt.Errorf("%s destination %q: endpoint: %v", d.Type, d.Name, err)
		}
	}
	if err := validateEventIDSource(d); err != nil {
		return err
	}
	if err := validateRouting(d); err != nil {
		return err
	}
	switch d.Type {
	case TypePostback:
		if _, _, err := splitTemplate(d.cfg("url")); err != nil {
			return fmt.Errorf("postback destination %q: url: %v", d.Name, err)
		}
		if m := strings.ToUpper(d.cfg("method")); m != "" && m != "GET" && m != "POST" {
			return fmt.Errorf("postback destination %q: method must be GET or POST, not %q", d.Name, d.cfg("method"))
		}
		if err := validatePayoutConfig(d); err != nil {
			return fmt.Errorf("postback destination %q: %v", d.Name, err)
		}
	case TypeWebhook:
		if err := checkHTTPURL(d.cfg("url")); err != nil {
			return fmt.Errorf("webhook destination %q: url: %v", d.Name, err)
		}
		for _, k := range []string{"secret", "previous_secret"} {
			if err := checkWebhookSecret(d.cfg(k)); err != nil {
				return fmt.Errorf("webhook destination %q: %s %v", d.Name, k, err)
			}
		}
	case TypeMeta:
		if v := d.cfg("api_version"); v != "" && !isAPIVersion(v, true) {
			return fmt.Errorf("meta destination %q: api_version %q is not like v26.0", d.Name, v)
		}
		if s := d.cfg("action_source"); s != "" && !metaActionSources[s] {
			return fmt.Errorf("meta destination %q: action_source %q is not one Meta accepts", d.Name, s)
		}
	case TypeGoogleAds:
		if v := d.cfg("api_version"); v != "" && !isAPIVersion(v, false) {
			return fmt.Errorf("google_ads destination %q: api_version %q is not like v26 (google_ads) or v1 (data_manager)", d.Name, v)
		}
		// Checked for Data Manager only, so a stored Google Ads API
		// destination is not refused now for what it was accepted with.
		if googleAPI(d) == GoogleAPIDataManager && !validConversionAction(d.cfg("conversion_action")) {
			return fmt.Errorf("google_ads destination %q: conversion_action %q is neither an id nor customers/…/conversionActions/…",
				d.Name, d.cfg("conversion_action"))
		}
		if _, err := parseConversionActions(d.cfg("conversion_actions")); err != nil {
			return fmt.Errorf("google_ads destination %q: conversion_actions: %v", d.Name, err)
		}
		if t := strings.ToUpper(d.cfg("login_account_type")); t != "" && t != "GOOGLE_ADS" && t != "DATA_PARTNER" {
			return fmt.Errorf("google_ads destination %q: login_account_type must be GOOGLE_ADS or DATA_PARTNER, not %q", d.Name, d.cfg("login_account_type"))
		}
		if u := d.cfg("token_url"); u != "" {
			if err := checkHTTPURL(u); err != nil {
				return fmt.Errorf("google_ads destination %q: token_url: %v", d.Name, err)
			}
		}
		if digitsOnly(d.cfg("customer_id")) == "" {
			return fmt.Errorf("google_ads destination %q: customer_id must be digits (dashes allowed)", d.Name)
		}
	}
	return nil
}

// checkHTTPURL accepts absolute http(s) URLs with a host.
func checkHTTPURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme must be http or https")
	}
	if u.Host == "" {
		return fmt.Errorf("no host")
	}
	return nil
}

// isAPIVersion accepts "v21" (Google) or "v21.0" (Meta) shapes; the value is
// put in a URL path, so anything else is refused.
func isAPIVersion(v string, dotted bool) bool {
	if len(v) < 2 || v[0] != 'v' {
		return false
	}
	rest := v[1:]
	if dotted {
		major, minor, ok := strings.Cut(rest, ".")
		return ok && isDigits(major) && isDigits(minor)
	}
	return isDigits(rest)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// googleAdsAuthMissing names what Google Ads authentication lacks: client_id,
// client_secret and refresh_token (tokens refreshed by Convrelay), or, for
// destinations made before that, a fixed access_token.
func googleAdsAuthMissing(d Destination) []string {
	if d.cfg("access_token") != "" && d.cfg("refresh_token") == "" {
		return nil
	}
	var missing []string
	for _, k := range []string{"client_id", "client_secret", "refresh_token"} {
		if d.cfg(k) == "" {
			missing = append(missing, fmt.Sprintf("%q", k))
		}
	}
	return missing
}
