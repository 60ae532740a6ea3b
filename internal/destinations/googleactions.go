package destinations

import (
	"encoding/json"
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
// conversion action each event name goes to, as a JSON object
// {"Lead":"111","Purchase":"222"} or as pairs "Lead=111, Purchase=222".
// Keys are matched without regard to case or surrounding spaces; values are
// ids or resource names, like conversion_action.
func parseConversionActions(raw string) (map[string]string, error) {
	raw = strings.TrimSpace(raw)
	out := map[string]string{}
	if raw == "" {
		return out, nil
	}
	pairs := map[string]string{}
	if strings.HasPrefix(raw, "{") {
		if err := json.Unmarshal([]byte(raw), &pairs); err != nil {
			return nil, fmt.Errorf("not a JSON object of event name to conversion action: %v", err)
		}
	} else {
		for _, part := range strings.Split(raw, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				return nil, fmt.Errorf("%q is not event=action", strings.TrimSpace(part))
			}
			pairs[k] = v
		}
	}
	for k, v := range pairs {
		k, v = eventKey(k), strings.TrimSpace(v)
		if k == "" || v == "" {
			return nil, fmt.Errorf("an event name and a conversion action are both needed (%q=%q)", k, v)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("event %q is mapped twice", k)
		}
		if !validConversionAction(v) {
			return nil, fmt.Errorf("conversion action %q for %q is neither an id nor customers/…/conversionActions/…", v, k)
		}
		out[k] = v
	}
	return out, nil
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
