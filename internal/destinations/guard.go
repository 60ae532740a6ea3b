package destinations

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// The outbound guard keeps deliveries from turning the worker into a probe of
// the operator's network: every connection a delivery opens (first request,
// each redirect hop, each retry) is checked at dial time, after DNS, against
// the addresses below, so a public name that resolves to 10.0.0.5 or a
// redirect to 169.254.169.254 is refused as surely as a literal one. Only the
// operator's allow-list (CONVRELAY_DESTINATION_ALLOW) opens a refused range.

// refusedRanges are the non-public ranges, each with the word used to explain
// a refusal. IPv4-mapped IPv6 addresses are unmapped before the check.
var refusedRanges = []struct {
	prefix netip.Prefix
	kind   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "CGNAT"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible"}, // deprecated form of any IPv4 address
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},    // embeds any IPv4 address
	{netip.MustParsePrefix("fc00::/7"), "private"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// RefusedError is a delivery stopped by the guard. No retry can fix it.
type RefusedError struct {
	Addr   netip.Addr
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("address %s is %s and not in CONVRELAY_DESTINATION_ALLOW", e.Addr, e.Reason)
}

// Guard decides which addresses deliveries may reach.
type Guard struct {
	// Allow lists the ranges permitted although refusedRanges refuse them.
	Allow []netip.Prefix
}

// Allowed tells whether the operator's allow-list permits a.
func (g Guard) Allowed(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range g.Allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Check returns a *RefusedError when a may not be reached, or nil.
func (g Guard) Check(a netip.Addr) error {
	a = a.Unmap().WithZone("") // a zoned address never matches a prefix otherwise
	if g.Allowed(a) {
		return nil
	}
	for _, r := range refusedRanges {
		if r.prefix.Contains(a) {
			return &RefusedError{Addr: a, Reason: r.kind}
		}
	}
	if a.IsMulticast() || a.IsLinkLocalUnicast() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() {
		return &RefusedError{Addr: a, Reason: "not public"}
	}
	return nil
}

// policyKey carries a request's *dialPolicy to the dialer.
type policyKey struct{}

// dialPolicy is what the dialer must know about the hop it dials: a vendor
// endpoint over plain http may only be dialled on an allowed address.
type dialPolicy struct{ plainVendor bool }

// errPlainHTTP refuses a vendor endpoint reached over http on a public address.
var errPlainHTTP = errors.New("ad platform endpoints are https only (http is accepted only on CONVRELAY_DESTINATION_ALLOW addresses)")

// control runs for every connection after DNS resolution, with the address
// about to be dialled.
func (g Guard) control(ctx context.Context, _ string, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("outbound guard: unparsable address %q", address)
	}
	if err := g.Check(ap.Addr()); err != nil {
		return err
	}
	if p, _ := ctx.Value(policyKey{}).(*dialPolicy); p != nil && p.plainVendor && !g.Allowed(ap.Addr()) {
		return errPlainHTTP
	}
	return nil
}

// transport is an HTTP transport whose every connection goes through the guard.
// It ignores HTTP(S)_PROXY: a proxy would dial on the guard's behalf.
func (g Guard) transport() *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, ControlContext: g.control}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = d.DialContext
	return t
}

// isVendor: ad platforms, whose credentials must never travel in clear.
func isVendor(t Type) bool {
	return t == TypeMeta || t == TypeTikTok || t == TypeGoogleAds || t == TypeGA4
}

// CheckURLs refuses, before a destination is saved, a URL that names a refused
// address literally (an IP, or localhost) and a vendor endpoint over http that
// is not a literal allowed address. The message names the address so it can
// be shown as is (422).
func (g Guard) CheckURLs(d Destination) error {
	check := func(field, raw string) error {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return nil
		}
		u, err := url.Parse(raw)
		if err != nil {
			return nil // Validate reports unparsable URLs
		}
		host := u.Hostname()
		lit, isLit := literalAddr(host)
		if isLit {
			if err := g.Check(lit); err != nil {
				return fmt.Errorf("%s: %s", field, err)
			}
		}
		if isVendor(d.Type) && strings.EqualFold(u.Scheme, "http") && !(isLit && g.Allowed(lit)) {
			return fmt.Errorf("%s: %s", field, errPlainHTTP)
		}
		return nil
	}
	if err := check("endpoint", d.Endpoint); err != nil {
		return err
	}
	switch d.Type {
	case TypeWebhook, TypePostback:
		return check("url", d.cfg("url"))
	case TypeGoogleAds:
		// The refresh token and client secret travel to the token endpoint.
		return check("token_url", d.cfg("token_url"))
	}
	return nil
}

// withTokenPolicy makes the dialer hold an OAuth token request of d to the same
// rule as its deliveries: over plain http only to an allowed address, since it
// carries the client secret and refresh token.
func withTokenPolicy(ctx context.Context, d Destination) (context.Context, *dialPolicy) {
	policy := &dialPolicy{}
	if d.Type == TypeGoogleAds {
		if u, err := url.Parse(googleTokenURL(d)); err == nil && strings.EqualFold(u.Scheme, "http") {
			policy.plainVendor = true
		}
	}
	return context.WithValue(ctx, policyKey{}, policy), policy
}

// literalAddr reads a host that names an address without DNS: an IP, or
// localhost (which resolves to loopback by convention, RFC 6761).
func literalAddr(host string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return a, true
	}
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return netip.MustParseAddr("127.0.0.1"), true
	}
	return netip.Addr{}, false
}
