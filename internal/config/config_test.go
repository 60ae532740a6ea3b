package config

import (
	"strings"
	"testing"
	"time"
)

func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	c, err := fromLookup(lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.TemporalNamespace != "default" || c.SettleWindow != 45*24*time.Hour ||
		c.DeliveryWindow != 24*time.Hour || c.MaxBodyBytes != 64<<10 || c.PublicURL != "http://127.0.0.1:8080" {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestDaysAndOverrides(t *testing.T) {
	c, err := fromLookup(lookupFrom(map[string]string{"CONVRELAY_SETTLE_WINDOW": "7d", "HTTP_ADDR": ":9000",
		"CONVRELAY_PUBLIC_URL": "https://t.example.com/"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SettleWindow != 7*24*time.Hour || c.PublicURL != "https://t.example.com" {
		t.Fatalf("got %+v", c)
	}
}

func TestWrongValueFailsWithOneLineNamingTheVariable(t *testing.T) {
	for name, v := range map[string]string{
		"CONVRELAY_SETTLE_WINDOW":  "soon",
		"CONVRELAY_MAX_BODY_BYTES": "big",
		"HTTP_ADDR":                "8080",
		"TEMPORAL_ADDRESS":         "temporal",
		"CONVRELAY_LOG_FORMAT":     "xml",
		"TEMPORAL_TLS":             "maybe",
	} {
		_, err := fromLookup(lookupFrom(map[string]string{name: v}))
		if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s=%q: error %v, want one line naming the variable", name, v, err)
		}
	}
}

func TestKnownVariables(t *testing.T) {
	known := strings.Join(KnownVariables(), ",")
	for _, want := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "HTTP_ADDR", "CONVRELAY_SETTLE_WINDOW"} {
		if !strings.Contains(known, want) {
			t.Errorf("KnownVariables lacks %s", want)
		}
	}
}

func TestDestinationAllowAndSecurityDefaults(t *testing.T) {
	c, err := fromLookup(lookupFrom(map[string]string{"CONVRELAY_DESTINATION_ALLOW": "127.0.0.1/32, 10.1.2.3,fd00::/8"}))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, p := range c.DestinationAllow {
		got = append(got, p.String())
	}
	if strings.Join(got, ",") != "127.0.0.1/32,10.1.2.3/32,fd00::/8" {
		t.Fatalf("allow = %v", got)
	}
	if c.RetentionPostbackLog != 90*24*time.Hour || c.RetentionClicks != 180*24*time.Hour || c.RateLimitIPRPS <= 0 {
		t.Fatalf("defaults: %+v", c)
	}
	if _, err := fromLookup(lookupFrom(map[string]string{"CONVRELAY_DESTINATION_ALLOW": "10.0.0.0/33"})); err == nil ||
		!strings.Contains(err.Error(), "CONVRELAY_DESTINATION_ALLOW") {
		t.Fatalf("bad CIDR: %v", err)
	}
}

func TestNoSecretKeyIsAClearStartError(t *testing.T) {
	c, err := fromLookup(lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Keyring(); err == nil || !strings.Contains(err.Error(), "CONVRELAY_SECRET_KEY is not set") {
		t.Fatalf("no key: %v", err)
	}
	c.SecretKey = "dGVzdC1vbmx5LXNlY3JldC1rZXktMzItYnl0ZXMhISE="
	if k, err := c.Keyring(); err != nil || k.KeyID() == "" {
		t.Fatalf("with a key: %v", err)
	}
	c.SecretKey = "too-short"
	if _, err := c.Keyring(); err == nil || !strings.Contains(err.Error(), "CONVRELAY_SECRET_KEY") {
		t.Fatalf("bad key: %v", err)
	}
}
