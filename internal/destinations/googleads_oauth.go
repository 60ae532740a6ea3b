package destinations

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"golang.org/x/oauth2"
)

// Google Ads authenticates with OAuth2 access tokens that expire after about
// an hour. A destination holds the long-lived part (client id and secret, a
// refresh token); the access token is refreshed through golang.org/x/oauth2
// and cached per destination and credentials, so each delivery does not cost
// a token request. The token endpoint is config "token_url" (tests and
// proxies); Google's by default.

// DefaultGoogleTokenURL is Google's OAuth2 token endpoint.
const DefaultGoogleTokenURL = "https://oauth2.googleapis.com/token"

// OAuth scopes: the refresh token must have been granted the one of the
// destination's API.
const (
	GoogleAdsScope   = "https://www.googleapis.com/auth/adwords"
	DataManagerScope = "https://www.googleapis.com/auth/datamanager"
)

// googleScope is the OAuth scope of d's API.
func googleScope(d Destination) string {
	if googleAPI(d) == GoogleAPIDataManager {
		return DataManagerScope
	}
	return GoogleAdsScope
}

// googleUsesOAuth reports whether d refreshes its own tokens; without a
// refresh token the fixed access_token of older destinations is sent.
func googleUsesOAuth(d Destination) bool { return d.cfg("refresh_token") != "" }

// googleRequest is a JSON POST to either Google API: the destination's
// endpoint (else base) and api_version (else version), then path, with the
// access token d sends (refreshed when d uses OAuth, else its fixed one).
func googleRequest(ctx context.Context, d Destination, base, version, path string, body any) (*http.Request, error) {
	token := d.cfg("access_token")
	if googleUsesOAuth(d) {
		t, err := googleTokens.token(ctx, d)
		if err != nil {
			return nil, err
		}
		token = t
	}
	if v := d.cfg("api_version"); v != "" {
		version = v
	}
	req, err := jsonRequest(ctx, d.base(base)+"/"+url.PathEscape(version)+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req, nil
}

// googleTokenURL is d's token endpoint: its token_url, else Google's.
func googleTokenURL(d Destination) string {
	if u := d.cfg("token_url"); u != "" {
		return u
	}
	return DefaultGoogleTokenURL
}

func googleOAuthConfig(d Destination) *oauth2.Config {
	tokenURL := googleTokenURL(d)
	return &oauth2.Config{
		ClientID:     d.cfg("client_id"),
		ClientSecret: d.cfg("client_secret"),
		// Google reads the client credentials from the form body; saying so
		// spares the library's probe of both styles.
		Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   []string{googleScope(d)},
	}
}

// googleTokenCache holds one access token per destination and credentials.
type googleTokenCache struct {
	mu      sync.Mutex
	entries map[string]*googleTokenEntry
}

type googleTokenEntry struct {
	mu  sync.Mutex // one refresh at a time per destination
	tok *oauth2.Token
}

var googleTokens = &googleTokenCache{entries: map[string]*googleTokenEntry{}}

// key changes when any credential changes, so an edited destination never
// reuses the old account's token.
func (c *googleTokenCache) key(d Destination) string {
	h := sha256.New()
	for _, s := range []string{strconv.FormatInt(d.ID, 10), d.cfg("token_url"), d.cfg("client_id"),
		d.cfg("client_secret"), d.cfg("refresh_token"), googleScope(d)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (c *googleTokenCache) entry(d Destination) *googleTokenEntry {
	k := c.key(d)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		e = &googleTokenEntry{}
		c.entries[k] = e
	}
	return e
}

// token returns a valid access token, refreshing it when it is missing or
// about to expire. The refresh uses the HTTP client in ctx
// (oauth2.HTTPClient), which Sender.Deliver sets to its own.
func (c *googleTokenCache) token(ctx context.Context, d Destination) (string, error) {
	e := c.entry(d)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tok.Valid() {
		return e.tok.AccessToken, nil
	}
	tok, err := googleOAuthConfig(d).TokenSource(ctx, &oauth2.Token{RefreshToken: d.cfg("refresh_token")}).Token()
	if err != nil {
		return "", googleTokenFailure(err)
	}
	e.tok = tok
	return tok.AccessToken, nil
}

// invalidate drops a cached token Google refused, so the next request
// refreshes. Only that token is dropped: when concurrent deliveries are all
// refused, the first refresh serves them all.
func (c *googleTokenCache) invalidate(refused string) {
	if refused == "" {
		return
	}
	c.mu.Lock()
	entries := make([]*googleTokenEntry, 0, len(c.entries))
	for _, e := range c.entries {
		entries = append(entries, e)
	}
	c.mu.Unlock()
	for _, e := range entries {
		e.mu.Lock()
		if e.tok != nil && e.tok.AccessToken == refused {
			e.tok = nil
		}
		e.mu.Unlock()
	}
}

// googleTokenFailure classifies a failed refresh: a refused grant (revoked
// refresh token, wrong client secret) needs the user, anything else may pass.
// Only the OAuth error code and description are kept, never the body.
func googleTokenFailure(err error) *DeliveryError {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		msg := "OAuth token refresh failed"
		if re.ErrorCode != "" {
			msg += ": " + re.ErrorCode
			if re.ErrorDescription != "" {
				msg += " (" + re.ErrorDescription + ")"
			}
		}
		code := re.Response.StatusCode
		return &DeliveryError{Retryable: retryableStatus(code), StatusCode: code, Message: "google_ads: " + msg}
	}
	return transportFailure("google_ads", err)
}
