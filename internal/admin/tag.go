package admin

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/convrelay/convrelay/internal/store"
)

// maxTagList bounds each list of the tag settings.
const maxTagList = 50

// TagSettings reads an account's first-party tag settings.
func (s *Service) TagSettings(ctx context.Context, account string) (store.TagSettings, error) {
	if _, err := s.authorize(ctx, account, ActReadSetup); err != nil {
		return store.TagSettings{}, err
	}
	t, err := s.Store.GetTagSettings(ctx, account)
	return t, fromStore("account", err)
}

// SetTagSettings checks and stores an account's tag settings: origins as
// "scheme://host[:port]" (http or https, nothing after the host), event names,
// and AutoTag offer domains (a host name, and the parameter its network reads).
// It returns them as stored.
func (s *Service) SetTagSettings(ctx context.Context, account string, t store.TagSettings) (store.TagSettings, error) {
	var out store.TagSettings
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return out, err
	}
	if len(t.Origins) > maxTagList || len(t.Events) > maxTagList || len(t.OfferDomains) > maxTagList {
		return out, Invalid("", fmt.Sprintf("at most %d origins, events and offer domains", maxTagList))
	}
	for _, o := range t.Origins {
		n, ok := NormalizeOrigin(o)
		if !ok {
			return out, Invalid("origins", "an origin is scheme://host[:port] with http or https and nothing after the host, not "+quote(o))
		}
		out.Origins = appendNew(out.Origins, n)
	}
	for _, e := range t.Events {
		e = strings.TrimSpace(e)
		if e == "" || len(e) > 64 {
			return out, Invalid("events", "an event name is 1 to 64 characters")
		}
		out.Events = appendNew(out.Events, e)
	}
	for _, d := range t.OfferDomains {
		host := strings.ToLower(strings.TrimSpace(d.Domain))
		if !plainHost(host) {
			return out, Invalid("offer_domains", "an offer domain is a host name such as offers.example.net, not "+quote(d.Domain))
		}
		if d.Param != "" && !paramName(d.Param) {
			return out, Invalid("offer_domains", "a parameter name is up to 64 letters, digits, '_', '-' or '.'")
		}
		out.OfferDomains = append(out.OfferDomains, store.OfferDomain{Domain: host, Param: d.Param})
	}
	if err := s.Store.SetTagSettings(ctx, account, out); err != nil {
		return store.TagSettings{}, fromStore("account", err)
	}
	if s.Accounts != nil {
		s.Accounts.ForgetAccount(account) // this process's browser endpoints read the change at once
	}
	s.Record(ctx, account, AuditTagSettings, "account:"+account, nil, out)
	s.Logger.Info("tag settings changed", "account_id", account, "origins", len(out.Origins), "events", len(out.Events),
		"offer_domains", len(out.OfferDomains))
	return s.TagSettings(ctx, account)
}

// NormalizeOrigin reads an origin as a browser sends it in the Origin header:
// lower-case scheme and host, the port only when not the scheme's default.
func NormalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" || (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if host == "" {
		return "", false
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		return u.Scheme + "://" + host + ":" + port, true
	}
	return u.Scheme + "://" + host, true
}

func plainHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return !strings.HasPrefix(h, ".") && !strings.HasSuffix(h, ".")
}

func paramName(p string) bool {
	if len(p) > 64 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func appendNew(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func quote(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "'") + "\"" }
