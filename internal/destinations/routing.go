package destinations

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Routing: which conversions a destination takes, and what an ad platform
// calls the event. All optional config keys, on any destination type:
//
//	only_events        event names it takes ("Lead, Purchase"); case and
//	                   surrounding spaces ignored
//	only_integrations  integration slugs it takes ("pb, maxbounty")
//	only_campaigns     campaign ids it takes ("12, 15")
//	event_names        meta, tiktok, ga4: the platform's event name per event,
//	                   {"Lead":"CompleteRegistration"} or "Lead=CompleteRegistration"
//	                   (google_ads has conversion_actions for the same purpose)
//
// An empty list takes everything. A conversion a destination does not take
// gets no delivery row at all, exactly as a life event outside fire_on: the
// store applies Takes where it creates deliveries (store.createDeliveries),
// once for every life event.

// Routing config keys.
const (
	ConfigOnlyEvents       = "only_events"
	ConfigOnlyIntegrations = "only_integrations"
	ConfigOnlyCampaigns    = "only_campaigns"
	ConfigEventNames       = "event_names"
)

// Route is a destination's routing filter.
type Route struct {
	Events       map[string]bool // eventKey of each name; nil: all
	Integrations map[string]bool // lower-cased slugs; nil: all
	Campaigns    map[int64]bool  // nil: all
}

// RouteOf reads the routing filter from a destination's config. A malformed
// value (refused by Validate when saved) is an error.
func RouteOf(cfg map[string]string) (Route, error) {
	var r Route
	for _, name := range splitList(cfg[ConfigOnlyEvents]) {
		if r.Events == nil {
			r.Events = map[string]bool{}
		}
		r.Events[eventKey(name)] = true
	}
	for _, slug := range splitList(cfg[ConfigOnlyIntegrations]) {
		if r.Integrations == nil {
			r.Integrations = map[string]bool{}
		}
		r.Integrations[strings.ToLower(slug)] = true
	}
	for _, s := range splitList(cfg[ConfigOnlyCampaigns]) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return Route{}, fmt.Errorf("%s: %q is not a campaign id", ConfigOnlyCampaigns, s)
		}
		if r.Campaigns == nil {
			r.Campaigns = map[int64]bool{}
		}
		r.Campaigns[id] = true
	}
	return r, nil
}

// Takes reports whether the destination takes a conversion of this event,
// integration and campaign (0: none); when it does not, the reason says
// which filter left it out.
func (r Route) Takes(eventName, integration string, campaignID int64) (bool, string) {
	if r.Events != nil && !r.Events[eventKey(eventName)] {
		return false, fmt.Sprintf("event %q is not in %s", eventName, ConfigOnlyEvents)
	}
	if r.Integrations != nil && !r.Integrations[strings.ToLower(strings.TrimSpace(integration))] {
		return false, fmt.Sprintf("integration %q is not in %s", integration, ConfigOnlyIntegrations)
	}
	if r.Campaigns != nil && !r.Campaigns[campaignID] {
		return false, fmt.Sprintf("campaign %d is not in %s", campaignID, ConfigOnlyCampaigns)
	}
	return true, ""
}

// splitList splits a comma-separated list, dropping empty entries.
func splitList(raw string) []string {
	var out []string
	for _, p := range strings.Split(raw, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseEventNames reads config "event_names": the platform's event name
// per Convrelay event name (parseEventMap's forms).
func parseEventNames(raw string) (map[string]string, error) {
	return parseEventMap(raw, "platform_event", nil)
}

// parseEventMap reads a map from Convrelay event name to a value (what: its
// name in messages) written as a JSON object {"Lead":"x"} or as pairs
// "Lead=x, Purchase=y": the form of event_names and conversion_actions. Keys
// are matched without regard to case or surrounding spaces; valid, when set,
// checks each value.
func parseEventMap(raw, what string, valid func(v string) error) (map[string]string, error) {
	raw = strings.TrimSpace(raw)
	out := map[string]string{}
	if raw == "" {
		return out, nil
	}
	pairs := map[string]string{}
	if strings.HasPrefix(raw, "{") {
		if err := json.Unmarshal([]byte(raw), &pairs); err != nil {
			return nil, fmt.Errorf("not a JSON object of event name to %s: %v", what, err)
		}
	} else {
		for _, part := range splitList(raw) {
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				return nil, fmt.Errorf("%q is not event=%s", part, what)
			}
			pairs[k] = v
		}
	}
	for k, v := range pairs {
		k, v = eventKey(k), strings.TrimSpace(v)
		if k == "" || v == "" {
			return nil, fmt.Errorf("an event name and a %s are both needed (%q=%q)", what, k, v)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("event %q is mapped twice", k)
		}
		if valid != nil {
			if err := valid(v); err != nil {
				return nil, fmt.Errorf("%s %q for %q: %v", what, v, k, err)
			}
		}
		out[k] = v
	}
	return out, nil
}

// mappedEventName is the event name d sends for name: its event_names entry
// (meta, tiktok, ga4), else name. The platform's own standard-name mapping
// still applies afterwards, so a mapped name in the platform's spelling
// passes as it is.
func mappedEventName(d Destination, name string) string {
	switch d.Type {
	case TypeMeta, TypeTikTok, TypeGA4:
	default:
		return name
	}
	m, err := parseEventNames(d.cfg(ConfigEventNames))
	if err != nil {
		return name
	}
	if v, ok := m[eventKey(name)]; ok {
		return v
	}
	return name
}

// validateRouting checks the routing keys of d.
func validateRouting(d Destination) error {
	if _, err := RouteOf(d.Config); err != nil {
		return fmt.Errorf("%s destination %q: %v", d.Type, d.Name, err)
	}
	if raw := d.cfg(ConfigEventNames); raw != "" {
		switch d.Type {
		case TypeMeta, TypeTikTok, TypeGA4:
		case TypeGoogleAds:
			return fmt.Errorf("google_ads destination %q: %s: use conversion_actions to route events", d.Name, ConfigEventNames)
		default:
			return fmt.Errorf("%s destination %q: %s is for meta, tiktok and ga4", d.Type, d.Name, ConfigEventNames)
		}
		if _, err := parseEventNames(raw); err != nil {
			return fmt.Errorf("%s destination %q: %s: %v", d.Type, d.Name, ConfigEventNames, err)
		}
	}
	return nil
}
