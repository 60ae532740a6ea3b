package destinations

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"
)

// Result is what the platform answered, kept for the delivery log.
type Result struct {
	StatusCode int
	Body       string // truncated to 2 KiB
}

// Sender delivers conversions. The zero value works: a 30 s timeout, the wall
// clock, and an outbound guard with an empty allow-list.
type Sender struct {
	// Client supplies the timeout and redirect policy; its Transport is not
	// used: every connection goes through the guard's own.
	Client *http.Client
	Now    func() time.Time
	// Guard's allow-list permits chosen internal addresses (local test
	// receivers, the demo); everything else non-public is refused.
	Guard Guard

	once      sync.Once
	transport *http.Transport
}

const (
	resultBodyLimit = 2 << 10 // what the delivery log keeps
	readBodyLimit   = 1 << 20 // what is read to find the platform's error text
	defaultTimeout  = 30 * time.Second
	userAgent       = "Convrelay/1 (+conversion delivery)"
)

var defaultClient = &http.Client{Timeout: defaultTimeout}

// platform is one destination type: how to build its request and how to read
// its answer. outcome returns nil when the platform accepted the conversion.
type platform struct {
	build   func(ctx context.Context, d Destination, c Conversion, now time.Time) (*http.Request, error)
	outcome outcomeFunc
	// outcomeFor, when set, picks the reader by the destination's settings
	// (google_ads: Google Ads API or Data Manager).
	outcomeFor func(d Destination) outcomeFunc
}

type outcomeFunc func(res *http.Response, body []byte, now time.Time) *DeliveryError

var platforms = map[Type]platform{
	TypeMeta:      {build: metaRequest, outcome: metaOutcome},
	TypeTikTok:    {build: tiktokRequest, outcome: tiktokOutcome},
	TypeGoogleAds: {build: googleAdsRequest, outcomeFor: googleOutcomeFor},
	TypeGA4:       {build: ga4Request, outcome: plainOutcome("ga4")},
	TypePostback:  {build: postbackRequest, outcome: plainOutcome("postback")},
	TypeWebhook:   {build: webhookRequest, outcome: plainOutcome("webhook")},
}

// Send builds the request for d, sends it and classifies the answer. Every
// failure is a *DeliveryError; the Result is filled whenever an HTTP answer
// arrived, failure or not.
func (s *Sender) Send(ctx context.Context, d Destination, c Conversion) (Result, error) {
	name := string(d.Type)
	p, ok := platforms[d.Type]
	if !ok {
		return Result{}, permanent("destinations", "unknown destination type %q", d.Type)
	}
	if err := Validate(d); err != nil {
		return Result{}, &DeliveryError{Message: err.Error()}
	}
	// Ad platforms count conversions; only the operator's webhook is told
	// that one was taken back.
	if c.Kind == KindReversal && d.Type != TypeWebhook {
		return Result{}, permanent(name, "reversals are only delivered to webhooks")
	}
	// The destination's own name for the event (config event_names).
	c.EventName = mappedEventName(d, c.EventName)
	now := s.now()
	req, err := p.build(ctx, d, c, now)
	if err != nil {
		var de *DeliveryError
		if errors.As(err, &de) {
			return Result{}, de
		}
		return Result{}, permanent(name, "%v", err)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}
	policy := &dialPolicy{plainVendor: isVendor(d.Type) && req.URL.Scheme == "http"}
	req = req.WithContext(context.WithValue(req.Context(), policyKey{}, policy))
	res, err := s.client(d.Type, policy).Do(req)
	if err != nil {
		if de := refusal(name, err); de != nil {
			return Result{}, de
		}
		return Result{}, transportFailure(name, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, readBodyLimit))
	result := Result{StatusCode: res.StatusCode, Body: truncateUTF8(body, resultBodyLimit)}
	if err != nil {
		// The answer was cut off: its verdict is unknown, and the
		// idempotency key makes another attempt safe.
		return result, transportFailure(name, err)
	}
	outcome := p.outcome
	if p.outcomeFor != nil {
		outcome = p.outcomeFor(d)
	}
	if de := outcome(res, body, now); de != nil {
		return result, de
	}
	return result, nil
}

// client returns the configured client on the guarded transport, adjusted so
// a redirect never turns a POST into a bodiless GET (Go does that for
// 301/302/303): the receiver could answer 200 to the GET and the conversion
// would count as delivered without having been sent. Such a redirect is
// returned as the answer instead. 307/308 keep method and body and are still
// followed; each hop is dialled through the guard, and a vendor hop to plain
// http is held to the allow-list.
func (s *Sender) client(t Type, policy *dialPolicy) *http.Client {
	base := s.Client
	if base == nil {
		base = defaultClient
	}
	s.once.Do(func() { s.transport = s.Guard.transport() })
	c := *base
	c.Transport = s.transport
	next := base.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && req.Method != via[0].Method {
			return http.ErrUseLastResponse
		}
		policy.plainVendor = isVendor(t) && req.URL.Scheme == "http"
		if len(via) > 0 && req.URL.Host != via[0].URL.Host {
			stripCredentials(req.Header)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// credentialHeaders are the headers that carry a destination's secrets. Go's
// client drops Authorization and Cookie on a redirect to another domain, but
// not its subdomains, and copies every other header: a redirect to any other
// host (host and port) loses all of these.
var credentialHeaders = []string{"Authorization", "Access-Token", "Developer-Token", "Login-Customer-Id", "Cookie",
	"Proxy-Authorization", "X-Api-Key"}

func stripCredentials(h http.Header) {
	for _, name := range credentialHeaders {
		h.Del(name)
	}
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// plainOutcome is for targets whose only verdict is the status code (GA4
// answers 2xx even to payloads it drops; postback and webhook receivers
// vary). Their bodies are shown back as a short one-line snippet only.
func plainOutcome(name string) outcomeFunc {
	return func(res *http.Response, body []byte, now time.Time) *DeliveryError {
		if res.StatusCode >= 200 && res.StatusCode < 300 {
			return nil
		}
		return httpFailure(name, res, nonJSONText(res, body), now)
	}
}

// truncateUTF8 cuts b to at most n bytes without splitting a character.
func truncateUTF8(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	b = b[:n]
	// Drop a trailing partial sequence (at most UTFMax-1 bytes).
	for i := 0; i < utf8.UTFMax-1 && len(b) > 0; i++ {
		if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size != 1 {
			break
		}
		b = b[:len(b)-1]
	}
	return string(b)
}
