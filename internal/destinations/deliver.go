package destinations

import (
	"context"
	"errors"
	"net/http"

	"golang.org/x/oauth2"
)

// Deliver is Send plus what takes more than one request or is decided before
// any: adjustments go to Google Ads only (another platform would count them
// as new conversions), and when Google Ads refuses an OAuth access token
// (401) the token is refreshed and the delivery tried once more. Token
// refreshes go through the Sender's client, so they follow the same
// outbound rules as deliveries. Delivery activities call this, not Send.
func (s *Sender) Deliver(ctx context.Context, d Destination, c Conversion) (Result, error) {
	if (c.Kind == KindRestatement || c.Kind == KindRetraction) && d.Type != TypeGoogleAds {
		return Result{}, permanent(string(d.Type), "%s adjustments are only delivered to google_ads", c.Kind)
	}
	ctx, tokenPolicy := withTokenPolicy(ctx, d)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client(d.Type, tokenPolicy))
	res, err := s.Send(ctx, d, c)
	var de *DeliveryError
	if d.Type == TypeGoogleAds && googleUsesOAuth(d) && errors.As(err, &de) && de.StatusCode == http.StatusUnauthorized {
		return s.Send(ctx, d, c)
	}
	return res, err
}
