package destinations

import (
	"fmt"
	"strings"
)

// Which API a google_ads destination uses (config "api").
const (
	// GoogleAPIDataManager is Google's Data Manager API (events:ingest):
	// OAuth only, no developer token. What new destinations use.
	GoogleAPIDataManager = "data_manager"
	// GoogleAPIAds is the Google Ads API (uploadClickConversions and
	// uploadConversionAdjustments), for developer tokens Google still lets
	// import click conversions. Stored destinations without an "api" key
	// were made for it and stay on it.
	GoogleAPIAds = "google_ads"
)

// googleAPI is the API d sends through. A destination without the key was
// stored before the choice existed, so it keeps the Google Ads API: a running
// installation changes nothing until its operator says so (Prepare writes
// data_manager into new destinations).
func googleAPI(d Destination) string {
	if strings.EqualFold(d.cfg("api"), GoogleAPIDataManager) {
		return GoogleAPIDataManager
	}
	return GoogleAPIAds
}

// Prepare fills in the defaults a destination being saved gets. stored is the
// config it had before (nil when it is new). A new google_ads destination
// without "api" gets data_manager; an edited one keeps what it had, and one
// stored before the key existed gets google_ads written, which is what it
// was already using. The config map is copied, never changed in place.
func Prepare(d Destination, stored map[string]string) Destination {
	if d.Type != TypeGoogleAds || d.cfg("api") != "" {
		return d
	}
	cfg := make(map[string]string, len(d.Config)+1)
	for k, v := range d.Config {
		cfg[k] = v
	}
	switch {
	case stored == nil:
		cfg["api"] = GoogleAPIDataManager
	case strings.TrimSpace(stored["api"]) != "":
		cfg["api"] = strings.TrimSpace(stored["api"])
	default:
		cfg["api"] = GoogleAPIAds
	}
	d.Config = cfg
	return d
}

// parseConversionActions reads config "conversion_actions": which Google
// conversion action (an id or a resource name, like conversion_action) each
// event name goes to, in parseEventMap's forms.
func parseConversionActions(raw string) (map[string]string, error) {
	return parseEventMap(raw, "conversion action", func(v string) error {
		if !validConversionAction(v) {
			return fmt.Errorf("neither an id nor customers/…/conversionActions/…")
		}
		return nil
	})
}

// validConversionAction accepts a numeric id or a resource name ending in one.
func validConversionAction(v string) bool {
	if isDigits(v) {
		return true
	}
	parts := strings.Split(v, "/")
	return len(parts) == 4 && parts[0] == "customers" && parts[2] == "conversionActions" &&
		isDigits(parts[3]) && isDigits(strings.ReplaceAll(parts[1], "-", ""))
}

// googleConversionAction is the conversion action the event goes to: its
// entry in conversion_actions, else the destination's conversion_action.
func googleConversionAction(d Destination, eventName string) string {
	if m, err := parseConversionActions(d.cfg("conversion_actions")); err == nil {
		if a, ok := m[eventKey(eventName)]; ok {
			return a
		}
	}
	return d.cfg("conversion_action")
}

// conversionActionID is the bare numeric id of an id or resource name.
func conversionActionID(a string) string {
	if i := strings.LastIndex(a, "/"); i >= 0 {
		a = a[i+1:]
	}
	return digitsOnly(a)
}
