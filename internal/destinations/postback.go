package destinations

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/macro"
)

// Traffic-source postback: the campaign's URL template with {macros} filled.

// splitTemplate separates "scheme://host[:port]" from the rest of the
// template. Macros are only filled in the rest, so no value can ever change
// where the postback goes; a template with a macro in its host is refused.
func splitTemplate(tmpl string) (origin string, rest string, err error) {
	tmpl = strings.TrimSpace(tmpl)
	scheme, after, ok := strings.Cut(tmpl, "://")
	if !ok {
		return "", "", errors.New("must start with http:// or https://")
	}
	if s := strings.ToLower(scheme); s != "http" && s != "https" {
		return "", "", errors.New("scheme must be http or https")
	}
	end := strings.IndexAny(after, "/?#")
	if end < 0 {
		end = len(after)
	}
	host := after[:end]
	if host == "" {
		return "", "", errors.New("no host")
	}
	if strings.ContainsAny(host, "{}@") {
		return "", "", errors.New("the host part cannot hold macros or credentials")
	}
	return scheme + "://" + host, after[end:], nil
}

// postbackMacros are the values a template can use, unescaped. {payout} is
// what the destination's payout rule gives (payout.go), {revenue} what the
// network reported, both in {currency} unless a fixed payout's rate is not
// yet known ({revenue_currency} then differs).
func postbackMacros(d Destination, c Conversion, now time.Time) map[string]string {
	money := PayoutOf(d, c)
	m := map[string]string{
		"external_id":      c.ExternalID,
		"click_id":         c.ClickID,
		"payout":           money.Payout.String(),
		"revenue":          money.Revenue.String(),
		"currency":         money.Currency,
		"revenue_currency": money.RevenueCurrency,
		"transaction_id":   c.TransactionID,
		"event":            c.EventName,
		"status":           c.Status,
		"campaign_id":      c.CampaignID,
		// The delivery's idempotency key (Meta/TikTok event_id, Google
		// order id): a receiver that keeps it can drop a re-send.
		"event_id":  c.EventID,
		"timestamp": strconv.FormatInt(eventTime(c, now).Unix(), 10),
	}
	for _, k := range conv.SubNames {
		m[k] = c.Subs[k]
	}
	return m
}

// fillTemplate replaces each {macro} with its URL-encoded value; unknown
// macros become empty. Values are encoded as a query component with spaces as
// %20, so they are inert in a path or query alike: no '&', '=', '/', '?' or
// '#' survives to add a parameter or change the path.
func fillTemplate(tmpl string, macros map[string]string) (string, error) {
	origin, rest, err := splitTemplate(tmpl)
	if err != nil {
		return "", err
	}
	filled := macro.Fill(rest, func(name string) string { return macros[name] })
	full := origin + filled
	u, err := url.Parse(full)
	if err != nil {
		return "", fmt.Errorf("filled url does not parse: %v", err)
	}
	if o, _ := url.Parse(origin); o == nil || u.Host != o.Host {
		return "", errors.New("filled url changed host")
	}
	return full, nil
}

func postbackRequest(ctx context.Context, d Destination, c Conversion, now time.Time) (*http.Request, error) {
	full, err := fillTemplate(d.cfg("url"), postbackMacros(d, c, now))
	if err != nil {
		return nil, fmt.Errorf("url template: %v", err)
	}
	if !strings.EqualFold(d.cfg("method"), http.MethodPost) {
		return http.NewRequestWithContext(ctx, http.MethodGet, full, nil)
	}
	// POST sends the filled query as a form body to the URL without it.
	u, _ := url.Parse(full)
	form := u.RawQuery
	u.RawQuery, u.Fragment = "", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}
