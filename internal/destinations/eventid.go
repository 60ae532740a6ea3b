package destinations

import "fmt"

// Where the event_id sent to Meta and TikTok comes from (config
// "event_id_source"). Both platforms count a browser pixel event and a server
// event as one when they share event name and event_id, so the id must be one
// the page can know too.
const (
	// EventIDInternal is Convrelay's own per-delivery key: safe against
	// double counting by retries, but no pixel can send it. The default,
	// and what destinations created before the choice existed use.
	EventIDInternal = "internal"
	// EventIDPostback is the postback's own event_id parameter (aliases in
	// internal/postback): the id the page generated and gave both the pixel
	// and the network.
	EventIDPostback = "postback"
	// EventIDTransaction is the transaction id, for pages that fire the
	// pixel with the order id they also hand to the network.
	EventIDTransaction = "transaction_id"
)

var eventIDSources = map[string]bool{"": true, EventIDInternal: true, EventIDPostback: true, EventIDTransaction: true}

// pixelEventID is the event_id for Meta and TikTok. A conversion from the
// browser tag sends the id the tag returned to the page (deduplication by
// construction) unless the destination chose the transaction id. A chosen source that is
// empty for this conversion falls back to the internal key: an event without
// an id could not be deduplicated against its own retries.
func pixelEventID(d Destination, c Conversion) string {
	var id string
	switch src := d.cfg("event_id_source"); {
	case src == EventIDTransaction:
		id = trimmed(c.TransactionID)
	case src == EventIDPostback || c.FromTag:
		id = trimmed(c.PixelEventID)
	}
	if id == "" {
		return c.EventID
	}
	return id
}

func validateEventIDSource(d Destination) error {
	s := d.cfg("event_id_source")
	if s == "" {
		return nil
	}
	if d.Type != TypeMeta && d.Type != TypeTikTok {
		return fmt.Errorf("%s destination %q: event_id_source applies to meta and tiktok only", d.Type, d.Name)
	}
	if !eventIDSources[s] {
		return fmt.Errorf("%s destination %q: event_id_source must be internal, postback or transaction_id, not %q",
			d.Type, d.Name, s)
	}
	return nil
}
