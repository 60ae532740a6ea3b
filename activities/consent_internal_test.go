package activities

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// consentFixture is an account with a Meta and a webhook destination and a
// click from Germany carrying TikTok and Google Analytics ids.
type consentFixture struct {
	t          *testing.T
	st         *store.Store
	acct       store.Account
	meta, hook store.Destination
	clickID    string
}

func newConsentFixture(t *testing.T, policy string, metaCfg map[string]string) *consentFixture {
	t.Helper()
	ctx := context.Background()
	st := pgtest.NewStore(t)
	acct, _, err := st.CreateAccount(ctx, store.Account{Name: "consent", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	if acct, err = st.UpdateAccountSettings(ctx, acct.ID, store.AccountSettings{Currency: "EUR", Timezone: "UTC",
		EEAWithoutConsent: policy}); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{"pixel_id": "1234567890123456", "access_token": "EAAG-token"}
	for k, v := range metaCfg {
		cfg[k] = v
	}
	meta, err := st.CreateDestination(ctx, store.Destination{AccountID: acct.ID, Type: "meta", Name: "meta", Enabled: true, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := st.CreateDestination(ctx, store.Destination{AccountID: acct.ID, Type: "webhook", Name: "hook", Enabled: true,
		Config: map[string]string{"url": "http://127.0.0.1:1/x", "secret": "s"}})
	if err != nil {
		t.Fatal(err)
	}
	k, err := st.InsertClick(ctx, store.Click{AccountID: acct.ID, Country: "DE",
		SourceClick: store.SourceClick{TTCLID: "E.C.P.ttclid-1", TTP: "ttp-cookie-1", GAClientID: "1234567890.1700000000",
			GCLID: "gclid-1"}})
	if err != nil {
		t.Fatal(err)
	}
	return &consentFixture{t: t, st: st, acct: acct, meta: meta, hook: hook, clickID: k.ID}
}

// record records an approved postback with the given canonical JSON for
// transaction tx and returns the deliveries it made, by destination.
func (f *consentFixture) record(tx, event, canonical string, from conv.Status) map[int64]conv.DeliveryRef {
	f.t.Helper()
	ctx := context.Background()
	e := &store.LogEntry{AccountID: f.acct.ID, Integration: "pb", Method: "GET", Path: "/pb", ReceivedAt: time.Now(),
		Canonical: []byte(canonical), TransactionID: tx, WorkflowID: "conv/" + f.acct.ID + "/" + tx, Outcome: "accepted"}
	if err := f.st.InsertLog(ctx, e); err != nil {
		f.t.Fatal(err)
	}
	value := decimal.RequireFromString("10")
	if from == conv.StatusApproved {
		value = decimal.RequireFromString("12") // a value change, which the webhook takes
	}
	res, err := f.st.Record(ctx, store.RecordParams{PostbackID: e.ID, AccountID: f.acct.ID, TxKey: tx, TransactionID: tx,
		Integration: "pb", EventName: event, Currency: "EUR", ConvertedAt: time.Now(),
		Attribution: conv.Attribution{Attributed: true, ClickID: f.clickID, MatchedBy: "click_id"},
		Decision:    conv.Decision{Apply: true, From: from, To: conv.StatusApproved, Value: value}})
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[int64]conv.DeliveryRef{}
	for _, r := range res.Deliveries {
		out[r.DestinationID] = r
	}
	return out
}

func (f *consentFixture) built(ref conv.DeliveryRef) destinations.Conversion {
	f.t.Helper()
	job, err := f.st.LoadDeliveryJob(context.Background(), ref.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	c, err := buildConversion(job)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// Consent from the postback, the account's EEA policy without one, and the
// click's TikTok and Google Analytics ids all reach the conversion a
// delivery builds.
func TestConsentAndClickIDsReachTheBuiltConversion(t *testing.T) {
	f := newConsentFixture(t, "denied", nil)

	// No signal, German click, policy denied: sent as denied.
	refs := f.record("T1", "Purchase", `{"transaction_id":"T1","traits":{}}`, conv.StatusNone)
	c := f.built(refs[f.meta.ID])
	if c.Consent != (destinations.Consent{AdUserData: destinations.ConsentDenied, AdPersonalization: destinations.ConsentDenied}) {
		t.Errorf("EEA without signal under denied: consent %+v", c.Consent)
	}
	if c.User.TTCLID != "E.C.P.ttclid-1" || c.User.TTP != "ttp-cookie-1" || c.User.GAClientID != "1234567890.1700000000" ||
		c.User.GCLID != "gclid-1" {
		t.Errorf("click ids not carried: %+v", c.User)
	}

	// The postback's own signal wins, and its ga_client_id wins over the click's.
	refs = f.record("T2", "Purchase",
		`{"transaction_id":"T2","traits":{},"consent":{"ad_user_data":"granted","ad_personalization":"denied"},"ga_client_id":"GA1.1.42.43"}`,
		conv.StatusNone)
	c = f.built(refs[f.meta.ID])
	if c.Consent != (destinations.Consent{AdUserData: destinations.ConsentGranted, AdPersonalization: destinations.ConsentDenied}) {
		t.Errorf("postback signal: consent %+v", c.Consent)
	}
	if c.User.GAClientID != "42.43" {
		t.Errorf("postback ga_client_id: %q, want 42.43", c.User.GAClientID)
	}
	// A webhook is built with the same consent (it ignores it) and sent.
	if _, ok := refs[f.hook.ID]; !ok {
		t.Errorf("webhook delivery missing: %+v", refs)
	}

	// A later postback without a signal keeps the recorded one (hook takes value changes).
	refs = f.record("T2", "Purchase", `{"transaction_id":"T2","traits":{}}`, conv.StatusApproved)
	job, err := f.st.LoadDeliveryJob(context.Background(), refs[f.hook.ID].ID)
	if err != nil {
		t.Fatal(err)
	}
	if job.Conversion.ConsentAdUserData != "granted" || job.Conversion.ConsentAdPersonalization != "denied" {
		t.Errorf("consent after a postback without one: %q/%q", job.Conversion.ConsentAdUserData, job.Conversion.ConsentAdPersonalization)
	}
	// The admin view shows the stored consent and the click's ids.
	view, err := f.st.GetConversion(context.Background(), f.acct.ID, job.Delivery.ConversionID)
	if err != nil {
		t.Fatal(err)
	}
	if view.Consent != (store.ConsentSignal{AdUserData: "granted", AdPersonalization: "denied"}) || view.Source == nil ||
		view.Source.TTP != "ttp-cookie-1" || view.Source.GAClientID != "1234567890.1700000000" {
		t.Errorf("conversion view consent %+v source %+v", view.Consent, view.Source)
	}
}

// Under skip, an EEA conversion without a signal gets a skipped ad-platform
// delivery with the reason and no hand-over; the webhook still gets it. A
// signal, or a country outside the EEA, sends as usual.
func TestEEAWithoutConsentSkip(t *testing.T) {
	f := newConsentFixture(t, "skip", nil)
	// A settings update that does not name the setting keeps it.
	if a, err := f.st.UpdateAccountSettings(context.Background(), f.acct.ID, store.AccountSettings{Currency: "EUR", Timezone: "UTC"}); err != nil ||
		a.EEAWithoutConsent != "skip" {
		t.Fatalf("settings without eea_without_consent: %+v, %v; want skip kept", a, err)
	}
	refs := f.record("T1", "Purchase", `{"transaction_id":"T1","traits":{}}`, conv.StatusNone)
	if _, ok := refs[f.meta.ID]; ok {
		t.Errorf("meta handed over under skip: %+v", refs)
	}
	if _, ok := refs[f.hook.ID]; !ok {
		t.Errorf("webhook not handed over under skip: %+v", refs)
	}
	dels, err := f.st.ListDeliveries(context.Background(), f.acct.ID, store.DeliveryFilter{DestinationID: f.meta.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(dels) != 1 || dels[0].Status != "skipped" || dels[0].LastError != destinations.ConsentSkipReason("DE") {
		t.Fatalf("meta deliveries %+v, want one skipped with the reason", dels)
	}
	refs = f.record("T2", "Purchase", `{"transaction_id":"T2","traits":{},"consent":{"ad_user_data":"denied"}}`, conv.StatusNone)
	if c := f.built(refs[f.meta.ID]); c.Consent.AdUserData != destinations.ConsentDenied || c.Consent.AdPersonalization != "" {
		t.Errorf("signal under skip: consent %+v", c.Consent)
	}
}

// A destination's routing leaves a conversion it does not take without a
// delivery row; the ones it takes are made as usual.
func TestRoutingFiltersDeliveries(t *testing.T) {
	f := newConsentFixture(t, "send", map[string]string{"only_events": "purchase", "only_integrations": "pb"})
	refs := f.record("T1", "Lead", `{"transaction_id":"T1","traits":{}}`, conv.StatusNone)
	if _, ok := refs[f.meta.ID]; ok {
		t.Errorf("a Lead reached a Purchase-only destination: %+v", refs)
	}
	if _, ok := refs[f.hook.ID]; !ok {
		t.Errorf("the webhook (no routing) lost the Lead: %+v", refs)
	}
	dels, err := f.st.ListDeliveries(context.Background(), f.acct.ID, store.DeliveryFilter{DestinationID: f.meta.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(dels) != 0 {
		t.Errorf("filtered-out conversion has delivery rows: %+v", dels)
	}
	refs = f.record("T2", "Purchase", `{"transaction_id":"T2","traits":{}}`, conv.StatusNone)
	if _, ok := refs[f.meta.ID]; !ok {
		t.Errorf("a Purchase missed the Purchase-only destination: %+v", refs)
	}
	// Outside the EEA policy's reach ("send"): no consent fields.
	if c := f.built(refs[f.meta.ID]); !c.Consent.IsZero() {
		t.Errorf("send policy added consent %+v", c.Consent)
	}
}
