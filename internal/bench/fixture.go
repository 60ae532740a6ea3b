package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/store"
)

// fixture is what the end-to-end and steady phases send to: a campaign of its own
// with two fake destinations on 127.0.0.1 (a webhook and a traffic-source
// postback), fresh clicks on it, and the demo integration's intake URL. Each phase
// builds its own, so its delivery counts and clicks start from zero.
type fixture struct {
	hook, source *fakeDestination
	clicks       []string
	// intakeURLs end in "&": a postback's query string is appended. With more
	// than one API process, requests take them in turn (the load generator is
	// the split; there is no load balancer).
	intakeURLs []string
	next       atomic.Uint64
}

func newFixture(ctx context.Context, st *store.Store, apiBase, accountID, name string, clicks int) (f *fixture, err error) {
	return newFixtureOn(ctx, st, []string{apiBase}, accountID, name, clicks)
}

// newFixtureOn is newFixture with postbacks spread over several API bases.
func newFixtureOn(ctx context.Context, st *store.Store, apiBases []string, accountID, name string, clicks int) (f *fixture, err error) {
	f = &fixture{}
	defer func() {
		if err != nil {
			f.close()
		}
	}()
	if f.hook, err = newFakeDestination(); err != nil {
		return nil, fmt.Errorf("%s: fake webhook: %w", name, err)
	}
	if f.source, err = newFakeDestination(); err != nil {
		return nil, fmt.Errorf("%s: fake traffic source: %w", name, err)
	}
	payout := decimal.RequireFromString("3.00")
	camp, err := st.CreateCampaign(ctx, store.Campaign{AccountID: accountID, CampaignSettings: store.CampaignSettings{
		Name: name, OfferURL: "https://offer.example/?c={click_id}", DefaultPayout: &payout, TrafficSource: "bench-ts",
		TrafficSourcePostback: f.source.url + "/ts?tx={transaction_id}&cid={click_id}&payout={payout}",
		// As before migration 014 made the approval the default: the bench's
		// mix and its recorded numbers count the source told on first recording.
		TrafficSourceFireOn: destinations.FireOnOf(destinations.LifeFirst)}})
	if err != nil {
		return nil, fmt.Errorf("%s: create campaign: %w", name, err)
	}
	if _, err := st.CreateDestination(ctx, store.Destination{AccountID: accountID, Type: "webhook", Name: name + " hook",
		Config: map[string]string{"url": f.hook.url + "/hook", "secret": "bench-secret-123"}, Enabled: true, CampaignID: &camp.ID,
		// One conversion per transaction, as the bench's mix counts deliveries.
		FireOn: destinations.FireOnOf(destinations.LifeFirst, destinations.LifeRejected)}); err != nil {
		return nil, fmt.Errorf("%s: create webhook destination: %w", name, err)
	}
	f.clicks = make([]string, clicks)
	for i := range f.clicks {
		k, err := st.InsertClick(ctx, store.Click{AccountID: accountID, CampaignID: &camp.ID,
			SourceClick: store.SourceClick{VisitorID: "v" + strconv.Itoa(i)}})
		if err != nil {
			return nil, fmt.Errorf("%s: insert click: %w", name, err)
		}
		f.clicks[i] = k.ID
	}
	demo, err := st.GetIntegration(ctx, accountID, "demo")
	if err != nil {
		return nil, fmt.Errorf("%s: demo integration: %w", name, err)
	}
	if len(demo.Tokens) == 0 {
		return nil, fmt.Errorf("%s: the demo integration has no token", name)
	}
	for _, base := range apiBases {
		f.intakeURLs = append(f.intakeURLs, base+"/"+accountID+"/collect/demo?token="+demo.Tokens[0].Secret+"&")
	}
	return f, nil
}

// request builds the GET of one postback.
func (f *fixture) request(query string) (*http.Request, error) {
	u := f.intakeURLs[int(f.next.Add(1)-1)%len(f.intakeURLs)]
	return http.NewRequest(http.MethodGet, u+query, nil)
}

// received is every delivery both destinations got, and how many of them repeated
// one already received for the same transaction.
func (f *fixture) received() (total, duplicated int) {
	h, hd := f.hook.counts()
	s, sd := f.source.counts()
	return h + s, hd + sd
}

func (f *fixture) close() {
	for _, d := range []*fakeDestination{f.hook, f.source} {
		if d != nil {
			_ = d.srv.Close()
		}
	}
}
