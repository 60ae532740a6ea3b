package destinations

import (
	"net/url"
	"slices"
	"sort"
	"strings"
)

// urlConfigKeys are, per type, the config keys holding a URL the destination
// sends to or takes tokens from (besides Endpoint, the platforms' base URL).
// Any other config value that reads as an absolute URL counts too (see
// targets), so a key added later is covered before it is listed here.
var urlConfigKeys = map[Type][]string{
	TypeMeta:      nil,
	TypeTikTok:    nil,
	TypeGoogleAds: {"token_url"}, // the client secret and refresh token go there
	TypeGA4:       nil,
	TypePostback:  {"url"},
	TypeWebhook:   {"url"},
}

// defaultEndpoints are the base URLs used when Endpoint is empty.
var defaultEndpoints = map[Type]string{
	TypeMeta:      DefaultMetaEndpoint,
	TypeTikTok:    DefaultTikTokEndpoint,
	TypeGoogleAds: DefaultGoogleAdsEndpoint,
	TypeGA4:       DefaultGA4Endpoint,
}

// defaultURLs are the values a URL key takes when it is not set.
var defaultURLs = map[Type]map[string]string{
	TypeGoogleAds: {"token_url": DefaultGoogleTokenURL},
}

// SecretsMustBeSentError refuses an edit that sends stored secrets back masked
// while a host they would go to changed.
type SecretsMustBeSentError struct {
	Changed []string // where the host changed: "type", "endpoint" or a config key
	Fields  []string // the secret config keys that must be entered again
}

func (e *SecretsMustBeSentError) Error() string {
	return "the destination's host changed (" + strings.Join(e.Changed, ", ") + "): enter " +
		strings.Join(e.Fields, ", ") + " again"
}

// KeepSecrets applies an edit of a destination sent back as the API showed it:
// a secret given exactly in its masked form keeps the stored value, but only
// when no host the destination sends to or takes tokens from changed (the type,
// the endpoint, every URL-bearing config key, defaults included, compared by
// scheme and host). Otherwise it returns a *SecretsMustBeSentError naming the
// secrets to enter again: whoever moves a destination to another host must
// know its secrets. It returns the edited config with the kept secrets filled
// in; neither argument is changed.
func KeepSecrets(stored, edited Destination) (map[string]string, error) {
	shown := Redact(stored.Config)
	out := make(map[string]string, len(edited.Config))
	var kept []string
	for k, v := range edited.Config {
		if old, ok := stored.Config[k]; ok && IsSecretKey(k) && v != old && v == shown[k] {
			v = old
			kept = append(kept, k)
		}
		out[k] = v
	}
	if len(kept) == 0 {
		return out, nil
	}
	edited.Config = out
	if changed := ChangedHosts(stored, edited); len(changed) > 0 {
		sort.Strings(kept)
		return nil, &SecretsMustBeSentError{Changed: changed, Fields: kept}
	}
	return out, nil
}

// ChangedHosts names where the destinations' targets differ: "type" when the
// type changed, else "endpoint" and the config keys whose URL's scheme or host
// differ (an unset key read as its default).
func ChangedHosts(a, b Destination) []string {
	if a.Type != b.Type {
		return []string{"type"}
	}
	ta, tb := targets(a), targets(b)
	var changed []string
	for k, v := range ta {
		if tb[k] != v {
			changed = append(changed, k)
		}
	}
	for k := range tb {
		if _, ok := ta[k]; !ok {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	return slices.Compact(changed)
}

// targets maps each place a destination may send to ("endpoint", config keys)
// to the scheme and host it names.
func targets(d Destination) map[string]string {
	out := map[string]string{}
	endpoint := strings.TrimSpace(d.Endpoint)
	if endpoint == "" {
		endpoint = defaultEndpoints[d.Type]
	}
	out["endpoint"] = hostOf(endpoint)
	for _, k := range urlConfigKeys[d.Type] {
		v := d.cfg(k)
		if v == "" {
			v = defaultURLs[d.Type][k]
		}
		out[k] = hostOf(v)
	}
	for k, v := range d.Config {
		if _, listed := out[k]; listed || IsSecretKey(k) {
			continue
		}
		if looksLikeURL(v) {
			out[k] = hostOf(v)
		}
	}
	return out
}

// hostOf reduces a URL to "scheme://host[:port]" lower-cased; text that is not
// a URL is kept as it is, so any change of it counts.
func hostOf(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// looksLikeURL accepts values with a scheme and a host ("https://x", "//x").
func looksLikeURL(v string) bool {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "//") {
		return false
	}
	u, err := url.Parse(v)
	return err == nil && u.Host != ""
}
