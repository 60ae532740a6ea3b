package destinations

import "strings"

// Type names a kind of delivery target.
type Type string

// Destination types known to the sender.
const (
	TypeMeta      Type = "meta"
	TypeTikTok    Type = "tiktok"
	TypeGoogleAds Type = "google_ads"
	TypeGA4       Type = "ga4"
	TypePostback  Type = "postback"
	TypeWebhook   Type = "webhook"
)

// Types lists every destination type, in the order people pick them.
var Types = []Type{TypeWebhook, TypePostback, TypeMeta, TypeTikTok, TypeGoogleAds, TypeGA4}

// Destination is one configured delivery target of an account or campaign.
type Destination struct {
	ID   int64
	Type Type
	Name string
	// Endpoint is the base URL; "" means the platform's real default address.
	// Tests and self-hosted proxies point it elsewhere.
	Endpoint string
	// Config holds the per-type settings (required ones in validate.go):
	//   meta       pixel_id, access_token; optional api_version, test_event_code, action_source,
	//              event_id_source (eventid.go)
	//   tiktok     pixel_code, access_token; optional test_event_code, event_id_source
	//   google_ads customer_id, conversion_action (resource name or id), client_id,
	//              client_secret, refresh_token (googleads_oauth.go), or a fixed access_token
	//              (older destinations); api data_manager (googledm.go, the default Prepare
	//              writes into new destinations) or google_ads (googleads.go, what stored
	//              destinations without the key use), developer_token for google_ads;
	//              optional conversion_actions (event name -> action, googleactions.go),
	//              login_customer_id, login_account_type (data_manager), api_version, token_url
	//   ga4        measurement_id, api_secret
	//   postback   url (template with {macros}); optional method GET (default) or POST
	//   webhook    url, secret
	Config map[string]string
}

// Default base URLs and API versions. Versions can be overridden per
// destination with Config["api_version"] (meta, google_ads) because both
// platforms retire versions on a schedule.
const (
	DefaultMetaEndpoint      = "https://graph.facebook.com"
	DefaultMetaAPIVersion    = "v26.0"
	DefaultTikTokEndpoint    = "https://business-api.tiktok.com"
	DefaultGoogleAdsEndpoint = "https://googleads.googleapis.com"
	DefaultGoogleAdsVersion  = "v26"
	DefaultGA4Endpoint       = "https://www.google-analytics.com"
)

// cfg returns a trimmed config value; a nil map reads as empty.
func (d Destination) cfg(key string) string {
	return strings.TrimSpace(d.Config[key])
}

// base returns the configured endpoint or the platform default, without a
// trailing slash so paths can be appended.
func (d Destination) base(def string) string {
	b := strings.TrimSpace(d.Endpoint)
	if b == "" {
		b = def
	}
	return strings.TrimRight(b, "/")
}
