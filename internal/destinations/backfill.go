package destinations

import "time"

// A backfill re-sends the approved conversions of the last days to a
// destination added after them. Each platform accepts events only up to some
// age; sending older ones earns a refusal (Meta refuses the whole request), so
// a backfill never reaches further back than the destination's window.

// BackfillWindow is how far back a backfill to one destination type reaches.
type BackfillWindow struct {
	// Age is the oldest conversion (by its conversion time, the event time
	// the platforms are sent) the platform takes.
	Age time.Duration
	// ClickAge, when set, also bounds the age of the conversion's click
	// (Google Ads counts its window from the click).
	ClickAge time.Duration
	// Why says where the bound comes from, for the API's answer.
	Why string
}

// Days is the window in whole days (at least 1).
func (w BackfillWindow) Days() int { return max(1, int(w.Age/(24*time.Hour))) }

// BackfillCapOwnSystems is the cap chosen for destinations that set no limit
// of their own (webhooks, traffic-source postbacks): a traffic source
// optimising on postbacks and an operator's own systems still make use of a
// month-old conversion; older ones belong in an export, not a re-send.
const BackfillCapOwnSystems = 30 * 24 * time.Hour

// BackfillWindowOf is the backfill window of destination type t.
//
//   - Meta Conversions API: "The event_time can be up to 7 days before you
//     send an event to Facebook. If any event_time in data is greater than 7
//     days in the past, we return an error for the entire request"
//     (https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/server-event/).
//   - TikTok Events API: events are taken about 7 days after they happened
//     (TikTok's Events API guide asks for events within 7 days of event_time;
//     it publishes no harder figure), so the same 7 days as Meta.
//   - Google Ads click conversion upload: a conversion is accepted up to 90
//     days after its click, the longest click-through window a conversion
//     action can have; an older click is refused with EXPIRED_EVENT ("its
//     click occurred before this conversion's click-through window",
//     https://developers.google.com/google-ads/api/reference/rpc/latest/ConversionUploadErrorEnum.ConversionUploadError).
//     The conversion and, when its click is known, the click must be at most
//     90 days old.
//   - GA4 Measurement Protocol: timestamp_micros may be backdated up to 72
//     hours ("timestamp_micros >= request time minus 72 hours",
//     https://developers.google.com/analytics/devguides/collection/protocol/ga4/use-cases).
//   - Webhooks and traffic-source postbacks have no platform limit: capped at
//     BackfillCapOwnSystems (30 days), a choice of Convrelay's.
func BackfillWindowOf(t Type) BackfillWindow {
	const day = 24 * time.Hour
	switch t {
	case TypeMeta:
		return BackfillWindow{Age: 7 * day, Why: "Meta Conversions API accepts events up to 7 days old"}
	case TypeTikTok:
		return BackfillWindow{Age: 7 * day, Why: "TikTok Events API accepts events up to about 7 days old"}
	case TypeGoogleAds:
		return BackfillWindow{Age: 90 * day, ClickAge: 90 * day,
			Why: "Google Ads accepts click conversions up to 90 days after the click"}
	case TypeGA4:
		return BackfillWindow{Age: 3 * day, Why: "GA4 Measurement Protocol accepts events up to 72 hours old"}
	case TypeWebhook:
		return BackfillWindow{Age: BackfillCapOwnSystems, Why: "webhooks: Convrelay's cap of 30 days"}
	default:
		return BackfillWindow{Age: BackfillCapOwnSystems, Why: "traffic-source postbacks: Convrelay's cap of 30 days"}
	}
}

// BackfillEvent is the life event a backfill sends to a destination of type
// t taking f that has nothing of an approved conversion yet: the approval if
// it takes approvals, else the conversion as first recorded if it takes
// that; false when it takes neither (it then gets nothing, as it would have
// got nothing live).
func BackfillEvent(t Type, f FireOn) (LifeEvent, bool) {
	events := LifeEvents(t, f, ConversionState{}, ConversionState{Status: "approved"}, Delivered{})
	if len(events) == 0 {
		return "", false
	}
	return events[0], true
}
