// Package destinations turns a recorded conversion into the request each
// delivery target expects (Meta Conversions API, TikTok Events API, Google Ads
// click conversions, GA4 Measurement Protocol, traffic-source postback URLs and
// signed webhooks), sends it, and classifies the answer so the delivery
// activity knows whether a retry can help.
//
// Builders are pure (one per platform) so payloads can be tested without a
// network; Sender.Send is the only place that talks HTTP.
package destinations
