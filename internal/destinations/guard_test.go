package destinations

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

func TestGuardRefusesNonPublicAddresses(t *testing.T) {
	var g Guard
	for addr, kind := range map[string]string{
		"127.0.0.1": "loopback", "10.1.2.3": "private", "172.20.0.1": "private", "192.168.1.1": "private",
		"100.64.0.1": "CGNAT", "169.254.169.254": "link-local", "224.0.0.1": "multicast", "0.0.0.0": "unspecified",
		"::1": "loopback", "fe80::1": "link-local", "fd00::1": "private", "ff02::1": "multicast", "::": "unspecified",
		"::ffff:10.0.0.1": "private", "64:ff9b::a00:1": "NAT64", "::7f00:1": "IPv4-compatible", "fe80::1%eth0": "link-local",
	} {
		var re *RefusedError
		if err := g.Check(netip.MustParseAddr(addr)); !errors.As(err, &re) || re.Reason != kind {
			t.Errorf("%s: %v, want refused as %s", addr, err, kind)
		}
	}
	for _, addr := range []string{"8.8.8.8", "157.240.1.35", "2001:4860:4860::8888"} {
		if err := g.Check(netip.MustParseAddr(addr)); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
	allow := Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}
	if allow.Check(netip.MustParseAddr("10.1.2.3")) != nil || allow.Check(netip.MustParseAddr("10.2.0.1")) == nil {
		t.Error("the allow-list opens exactly its range")
	}
}

// listenOn serves on a given loopback address (all of 127/8 is local on Linux)
// and counts the requests that arrive.
func listenOn(t *testing.T, ip string, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &n
}

func onlyLocalhost() Guard {
	return Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
}

func TestWebhookToARefusedAddressReceivesNothing(t *testing.T) {
	srv, hits := listenOn(t, "127.0.0.2", func(w http.ResponseWriter, r *http.Request) {})
	s := &Sender{Guard: onlyLocalhost()}
	_, err := s.Send(context.Background(), webhookDest(srv.URL), sampleConversion())
	var de *DeliveryError
	if !errors.As(err, &de) || de.Retryable || !strings.Contains(de.Error(), "127.0.0.2") || !strings.Contains(de.Error(), "loopback") {
		t.Fatalf("got %v, want a non-retryable refusal naming 127.0.0.2", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("the refused receiver got %d requests", hits.Load())
	}
	// A name is checked after resolution: localhost is loopback whatever it is called.
	srv1, hits1 := listenOn(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv1.URL, "http://"))
	_, err = (&Sender{}).Send(context.Background(), webhookDest("http://localhost:"+port+"/hook"), sampleConversion())
	if !errors.As(err, &de) || de.Retryable || hits1.Load() != 0 {
		t.Fatalf("localhost with an empty allow-list: %v (%d requests)", err, hits1.Load())
	}
}

func TestRedirectToARefusedAddressIsNotFollowed(t *testing.T) {
	refused, hits := listenOn(t, "127.0.0.2", func(w http.ResponseWriter, r *http.Request) {})
	allowed, _ := listenOn(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, refused.URL+"/stolen", http.StatusTemporaryRedirect)
	})
	s := &Sender{Guard: onlyLocalhost()}
	_, err := s.Send(context.Background(), webhookDest(allowed.URL+"/hook"), sampleConversion())
	var de *DeliveryError
	if !errors.As(err, &de) || de.Retryable || !strings.Contains(de.Error(), "127.0.0.2") {
		t.Fatalf("got %v, want a non-retryable refusal of the redirect", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("the redirect was followed (%d requests)", hits.Load())
	}
}

func TestVendorOverPlainHTTPOnlyOnAllowedAddresses(t *testing.T) {
	g := onlyLocalhost()
	ctx := context.WithValue(context.Background(), policyKey{}, &dialPolicy{plainVendor: true})
	if err := g.control(ctx, "tcp4", "157.240.1.35:80", nil); !errors.Is(err, errPlainHTTP) {
		t.Fatalf("vendor over http to a public address: %v", err)
	}
	if err := g.control(ctx, "tcp4", "127.0.0.1:80", nil); err != nil {
		t.Fatalf("vendor over http to an allowed address: %v", err)
	}
	if err := g.control(context.Background(), "tcp4", "157.240.1.35:443", nil); err != nil {
		t.Fatalf("https to a public address: %v", err)
	}
}

func TestCheckURLsNamesTheRefusedAddress(t *testing.T) {
	g := onlyLocalhost()
	for _, tc := range []struct {
		d    Destination
		want string
	}{
		{Destination{Type: TypeWebhook, Config: map[string]string{"url": "http://169.254.169.254/latest/meta-data"}}, "169.254.169.254"},
		{Destination{Type: TypePostback, Config: map[string]string{"url": "http://[::1]:8080/pb?c={click_id}"}}, "::1"},
		{Destination{Type: TypeWebhook, Config: map[string]string{"url": "http://localhost:9/x"}}, ""},
		{Destination{Type: TypeWebhook, Config: map[string]string{"url": "http://127.0.0.2:9/x"}}, "127.0.0.2"},
		{Destination{Type: TypeMeta, Endpoint: "http://graph.example.com"}, "https only"},
		{Destination{Type: TypeMeta, Endpoint: "http://10.0.0.8"}, "10.0.0.8"},
		{Destination{Type: TypeMeta, Endpoint: "http://127.0.0.1:9999"}, ""},
		{Destination{Type: TypeGA4, Endpoint: "https://www.google-analytics.com"}, ""},
		{Destination{Type: TypeGoogleAds, Config: map[string]string{"token_url": "http://oauth.example.com/token"}}, "token_url: ad platform endpoints are https only"},
		{Destination{Type: TypeGoogleAds, Config: map[string]string{"token_url": "http://169.254.169.254/token"}}, "169.254.169.254"},
		{Destination{Type: TypeGoogleAds, Config: map[string]string{"token_url": "http://127.0.0.1:9/token"}}, ""},
		{Destination{Type: TypeGoogleAds, Config: map[string]string{"token_url": "https://oauth2.googleapis.com/token"}}, ""},
	} {
		err := g.CheckURLs(tc.d)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s %s%v: %v, want %q", tc.d.Type, tc.d.Endpoint, tc.d.Config, err, tc.want)
		}
	}
}

// A Google Ads token refresh carries the client secret and refresh token: over
// plain http it is dialled only to an allowed address, like a delivery.
func TestTokenRefreshOverPlainHTTPOnlyOnAllowedAddresses(t *testing.T) {
	g := onlyLocalhost()
	plain := Destination{Type: TypeGoogleAds, Config: map[string]string{"refresh_token": "r", "token_url": "http://oauth.example.com/token"}}
	ctx, _ := withTokenPolicy(context.Background(), plain)
	if err := g.control(ctx, "tcp4", "157.240.1.35:80", nil); !errors.Is(err, errPlainHTTP) {
		t.Fatalf("token refresh over http to a public address: %v", err)
	}
	if err := g.control(ctx, "tcp4", "127.0.0.1:80", nil); err != nil {
		t.Fatalf("token refresh over http to an allowed address: %v", err)
	}
	ctx, _ = withTokenPolicy(context.Background(), Destination{Type: TypeGoogleAds, Config: map[string]string{"refresh_token": "r"}})
	if err := g.control(ctx, "tcp4", "142.250.1.95:443", nil); err != nil {
		t.Fatalf("token refresh over https (Google's endpoint) to a public address: %v", err)
	}
}

// A redirect to another host never carries the destination's credentials
// (TikTok's Access-Token, Google Ads' developer-token and bearer token).
func TestCredentialHeadersDoNotFollowACrossHostRedirect(t *testing.T) {
	var got atomic.Value
	other, hits := listenOn(t, "127.0.0.2", func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Access-Token") + "|" + r.Header.Get("Authorization") + "|" + r.Header.Get("Developer-Token"))
		_, _ = w.Write([]byte(`{"code":0,"message":"OK"}`))
	})
	first, _ := listenOn(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	_, _ = testSender().Send(context.Background(), tiktokDest(first.URL), sampleConversion())
	if hits.Load() == 0 {
		t.Fatal("the redirect was not followed; the test proves nothing")
	}
	if v, _ := got.Load().(string); v != "||" {
		t.Fatalf("the other host received credentials: %q", v)
	}
}
