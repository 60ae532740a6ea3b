package destinations

import (
	"errors"
	"maps"
	"slices"
	"testing"
)

func TestKeepSecretsOnlyWhileNoHostChanges(t *testing.T) {
	google := Destination{Type: TypeGoogleAds, Config: map[string]string{
		"customer_id": "1234567890", "conversion_action": "987", "developer_token": "devtoken-WXYZ-1234",
		"client_id": "cid.apps.googleusercontent.com", "client_secret": "GOCSPX-client-secret-5678",
		"refresh_token": "1//0g-refresh-token-9012",
	}}
	masked := func(d Destination, set map[string]string) Destination {
		cfg := Redact(d.Config)
		maps.Copy(cfg, set)
		return Destination{Type: d.Type, Endpoint: d.Endpoint, Config: cfg}
	}
	withTokenURL := func(u string) Destination {
		d := google
		d.Config = maps.Clone(google.Config)
		d.Config["token_url"] = u
		return d
	}
	for _, tc := range []struct {
		name           string
		stored, edited Destination
		wantFields     []string // nil: kept
	}{
		{"same hosts, masked secrets", google, masked(google, map[string]string{"conversion_action": "988"}), nil},
		{"token_url set to Google's own", google, masked(google, map[string]string{"token_url": DefaultGoogleTokenURL}), nil},
		{"token_url path only", withTokenURL("https://oauth.example.com/a"), masked(withTokenURL("https://oauth.example.com/a"), map[string]string{"token_url": "https://oauth.example.com/b"}), nil},
		{"token_url to another host", google, masked(google, map[string]string{"token_url": "https://evil.example.net/token"}),
			[]string{"client_secret", "developer_token", "refresh_token"}},
		{"token_url host changed", withTokenURL("https://oauth.example.com/t"), masked(withTokenURL("https://oauth.example.com/t"), map[string]string{"token_url": "https://evil.example.net/t"}),
			[]string{"client_secret", "developer_token", "refresh_token"}},
		{"token_url to plain http", withTokenURL("https://oauth.example.com/t"), masked(withTokenURL("https://oauth.example.com/t"), map[string]string{"token_url": "http://oauth.example.com/t"}),
			[]string{"client_secret", "developer_token", "refresh_token"}},
		{"token_url removed back to Google", withTokenURL("https://oauth.example.com/t"), masked(withTokenURL("https://oauth.example.com/t"), map[string]string{"token_url": ""}),
			[]string{"client_secret", "developer_token", "refresh_token"}},
		{"endpoint moved", google, func() Destination { d := masked(google, nil); d.Endpoint = "https://proxy.example.com"; return d }(),
			[]string{"client_secret", "developer_token", "refresh_token"}},
		{"an unlisted URL-bearing key", google, masked(google, map[string]string{"proxy_url": "https://evil.example.net"}),
			[]string{"client_secret", "developer_token", "refresh_token"}},
		{"type changed", google, func() Destination { d := masked(google, nil); d.Type = TypeWebhook; return d }(),
			[]string{"client_secret", "developer_token", "refresh_token"}},
		{"webhook url host", Destination{Type: TypeWebhook, Config: map[string]string{"url": "https://hooks.example.com/a", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
			Destination{Type: TypeWebhook, Config: map[string]string{"url": "https://evil.example.net/a", "secret": "****LaSw"}}, []string{"secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := KeepSecrets(tc.stored, tc.edited)
			if tc.wantFields == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				for _, k := range []string{"client_secret", "refresh_token", "developer_token"} {
					if got[k] != tc.stored.Config[k] {
						t.Errorf("%s = %q, want the stored value", k, got[k])
					}
				}
				return
			}
			var e *SecretsMustBeSentError
			if !errors.As(err, &e) || !slices.Equal(e.Fields, tc.wantFields) {
				t.Fatalf("got %v, %v; want the secrets %v to be entered again", got, err, tc.wantFields)
			}
		})
	}
	// Secrets entered in full go anywhere (the editor knows them).
	moved := withTokenURL("https://oauth.example.com/t")
	if got, err := KeepSecrets(google, moved); err != nil || got["refresh_token"] != google.Config["refresh_token"] {
		t.Fatalf("secrets entered again: %v %v", got, err)
	}
	// A key with no stored value is taken as sent (Validate judges it).
	if got, err := KeepSecrets(google, masked(google, map[string]string{"access_token": "****1234"})); err != nil || got["access_token"] != "****1234" {
		t.Fatalf("a new key is taken as sent: %v %v", got, err)
	}
}
