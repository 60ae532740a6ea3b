package store_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

const session = 4 * 24 * time.Hour

// base is a fixed conversion time; hits are placed relative to it.
var base = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func newCampaign(t *testing.T, st *store.Store, account string, payout string, windowDays int) store.Campaign {
	t.Helper()
	c := store.Campaign{AccountID: account, CampaignSettings: store.CampaignSettings{Name: "c",
		OfferURL: "https://offer.example/?c={click_id}", TrafficSource: "fb", AttributionWindowDays: windowDays}}
	if payout != "" {
		d := decimal.RequireFromString(payout)
		c.DefaultPayout = &d
	}
	out, err := st.CreateCampaign(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func insertClick(t *testing.T, st *store.Store, k store.Click) store.Click {
	t.Helper()
	out, err := st.InsertClick(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantClick(t *testing.T, what string, got store.Click, err error, want string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v, want click %s", what, err, want)
	}
	if got.ID != want {
		t.Fatalf("%s = click %s, want %s", what, got.ID, want)
	}
}

func wantNotFound(t *testing.T, what string, got store.Click, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("%s = click %q, err %v; want ErrNotFound", what, got.ID, err)
	}
}

func TestInsertClickKeepsSourceDataAndCampaign(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	cp := newCampaign(t, st, a.ID, "12.50", 0)
	k := insertClick(t, st, store.Click{AccountID: a.ID, CampaignID: &cp.ID, PageID: "p1", Email: "  Jane@Example.COM ",
		Subs: map[string]string{"sub1": "a"}, CreatedAt: base, SourceClick: store.SourceClick{VisitorID: "v1",
			ExternalID: "ext", FBCLID: "fbx", FBC: "fb.1.1.fbx", GCLID: "g", GBRAID: "gb", WBRAID: "wb", TTCLID: "tt",
			IP: "203.0.113.9", UserAgent: "UA", Referrer: "https://ref.example/"}})
	if len(k.ID) < 20 {
		t.Fatalf("click id %q is too short to be unguessable", k.ID)
	}
	got, err := st.GetClick(ctx, a.ID, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "jane@example.com" || got.FBC != "fb.1.1.fbx" || got.GCLID != "g" || got.GBRAID != "gb" || got.WBRAID != "wb" ||
		got.TTCLID != "tt" || got.IP != "203.0.113.9" || got.UserAgent != "UA" || got.Referrer != "https://ref.example/" ||
		got.Subs["sub1"] != "a" || got.PageID != "p1" || got.ExternalID != "ext" || !got.CreatedAt.Equal(base) {
		t.Fatalf("stored click = %+v", got)
	}
	if got.TrafficSource != "fb" || got.DefaultPayout == nil || !got.DefaultPayout.Equal(decimal.RequireFromString("12.5")) ||
		got.AttributionWindowDays != 30 {
		t.Fatalf("campaign data on click = %q %v %d; want fb 12.5 30", got.TrafficSource, got.DefaultPayout, got.AttributionWindowDays)
	}

	other := newAccount(t, st)
	_, err = st.GetClick(ctx, other.ID, k.ID)
	wantNotFound(t, "another account's click", store.Click{}, err)
}

func TestInsertCampaignHit(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	cp := newCampaign(t, st, a.ID, "", 0)
	if len(cp.Slug) != 32 {
		t.Fatalf("campaign slug %q, want 32 random hex digits", cp.Slug)
	}
	k, offer, err := st.InsertCampaignHit(ctx, cp.Slug, store.Click{PageID: "p", CreatedAt: base,
		SourceClick: store.SourceClick{VisitorID: "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if offer != cp.OfferURL || k.AccountID != a.ID || k.CampaignID == nil || *k.CampaignID != cp.ID {
		t.Fatalf("hit = %+v, offer %q; want account %s campaign %d offer %q", k, offer, a.ID, cp.ID, cp.OfferURL)
	}
	if got, err := st.GetClick(ctx, a.ID, k.ID); err != nil || got.VisitorID != "v" || got.PageID != "p" {
		t.Fatalf("stored hit = %+v, %v", got, err)
	}
	if err := st.DeleteCampaign(ctx, a.ID, cp.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.InsertCampaignHit(ctx, cp.Slug,
		store.Click{SourceClick: store.SourceClick{VisitorID: "v"}}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("hit on deleted campaign: %v, want ErrNotFound", err)
	}
	if _, _, err := st.InsertCampaignHit(ctx, strconv.FormatInt(cp.ID, 10), store.Click{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("hit on unknown campaign: %v, want ErrNotFound", err)
	}
}

func TestVisitorHitPicksPageAndMostRecent(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	hit := func(page string, ago time.Duration) string {
		return insertClick(t, st, store.Click{AccountID: a.ID, PageID: page, CreatedAt: base.Add(-ago),
			SourceClick: store.SourceClick{VisitorID: "v"}}).ID
	}
	hit("A", 50*time.Hour)
	hit("B", 40*time.Hour)
	a2 := hit("A", 30*time.Hour) // the most recent hit on A
	b2 := hit("B", 20*time.Hour)
	c1 := hit("C", 10*time.Hour) // the most recent hit of all
	hit("A", -time.Hour)         // after the conversion: never picked
	insertClick(t, st, store.Click{AccountID: a.ID, PageID: "A", CreatedAt: base.Add(-time.Minute),
		SourceClick: store.SourceClick{VisitorID: "someone-else"}})

	k, err := st.VisitorHit(ctx, a.ID, "v", "A", session, base)
	wantClick(t, "vid+p=A", k, err, a2)
	k, err = st.VisitorHit(ctx, a.ID, "v", "B", session, base)
	wantClick(t, "vid+p=B", k, err, b2)
	k, err = st.VisitorHit(ctx, a.ID, "v", "", session, base)
	wantClick(t, "vid alone", k, err, c1)
	k, err = st.VisitorHit(ctx, a.ID, "v", "Z", session, base)
	wantNotFound(t, "vid+p on a page never visited", k, err)
	k, err = st.VisitorHit(ctx, a.ID, "nobody", "", session, base)
	wantNotFound(t, "unknown visitor", k, err)
	other := newAccount(t, st)
	k, err = st.VisitorHit(ctx, other.ID, "v", "", session, base)
	wantNotFound(t, "visitor of another account", k, err)
}

func TestVisitorHitSessionWindow(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	hit := func(vid, page string, at time.Time) string {
		return insertClick(t, st, store.Click{AccountID: a.ID, PageID: page, CreatedAt: at,
			SourceClick: store.SourceClick{VisitorID: vid}}).ID
	}

	// Edge: last activity 4 days + 1 minute before the conversion, none since.
	hit("late", "A", base.Add(-session-time.Minute))
	k, err := st.VisitorHit(ctx, a.ID, "late", "A", session, base)
	wantNotFound(t, "4d+1m without activity (vid+p)", k, err)
	k, err = st.VisitorHit(ctx, a.ID, "late", "", session, base)
	wantNotFound(t, "4d+1m without activity (vid alone)", k, err)

	// 4 days - 1 minute: still inside the session.
	inside := hit("fresh", "A", base.Add(-session+time.Minute))
	k, err = st.VisitorHit(ctx, a.ID, "fresh", "A", session, base)
	wantClick(t, "4d-1m", k, err, inside)

	// A later hit (on another page) extends the session: the hit on A is 6 days old
	// but the visitor was active 2 days ago, within 4 days of the A hit.
	old := hit("active", "A", base.Add(-6*24*time.Hour))
	hit("active", "B", base.Add(-2*24*time.Hour))
	k, err = st.VisitorHit(ctx, a.ID, "active", "A", session, base)
	wantClick(t, "session extended by a later hit", k, err, old)

	// A gap longer than the session starts a new one: the old hit on A belongs to
	// the earlier session even though the visitor is active now.
	hit("gap", "A", base.Add(-10*24*time.Hour))
	hit("gap", "B", base.Add(-time.Hour))
	k, err = st.VisitorHit(ctx, a.ID, "gap", "A", session, base)
	wantNotFound(t, "hit in an earlier session", k, err)

	// Activity after the conversion time does not revive a session that had ended
	// by then (a back-dated conversion).
	hit("backdated", "A", base.Add(-5*24*time.Hour))
	hit("backdated", "A", base.Add(time.Hour))
	k, err = st.VisitorHit(ctx, a.ID, "backdated", "A", session, base)
	wantNotFound(t, "session ended before a back-dated conversion", k, err)
}

func TestVisitorHitWalksPastOneBatch(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	first := insertClick(t, st, store.Click{AccountID: a.ID, PageID: "A", CreatedAt: base.Add(-300 * time.Minute),
		SourceClick: store.SourceClick{VisitorID: "busy"}}).ID
	for i := 0; i < 250; i++ { // more hits on B than one query reads
		insertClick(t, st, store.Click{AccountID: a.ID, PageID: "B",
			CreatedAt: base.Add(-time.Duration(250-i) * time.Minute), SourceClick: store.SourceClick{VisitorID: "busy"}})
	}
	k, err := st.VisitorHit(ctx, a.ID, "busy", "A", session, base)
	wantClick(t, "hit behind 250 later ones", k, err, first)
}

func TestClickByRef(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	byRef := insertClick(t, st, store.Click{AccountID: a.ID, RefID: "order-1", CreatedAt: base.Add(-100 * 24 * time.Hour)}).ID
	byExt := insertClick(t, st, store.Click{AccountID: a.ID, CreatedAt: base,
		SourceClick: store.SourceClick{ExternalID: "ext-9"}}).ID
	k, err := st.ClickByRef(ctx, a.ID, "order-1")
	wantClick(t, "ref_id", k, err, byRef)
	k, err = st.ClickByRef(ctx, a.ID, "ext-9")
	wantClick(t, "external id", k, err, byExt)
	k, err = st.ClickByRef(ctx, a.ID, "nope")
	wantNotFound(t, "unknown ref", k, err)
	k, err = st.ClickByRef(ctx, a.ID, "")
	wantNotFound(t, "empty ref", k, err)
	other := newAccount(t, st)
	k, err = st.ClickByRef(ctx, other.ID, "order-1")
	wantNotFound(t, "ref of another account", k, err)
}

func TestClickByEmailWindow(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	def := newCampaign(t, st, a.ID, "", 0)   // 30 days
	short := newCampaign(t, st, a.ID, "", 7) // 7 days
	day := 24 * time.Hour
	click := func(cp *int64, email string, ago time.Duration) string {
		return insertClick(t, st, store.Click{AccountID: a.ID, CampaignID: cp, Email: email, CreatedAt: base.Add(-ago)}).ID
	}

	click(&def.ID, "a@example.com", 20*day)
	recent := click(&def.ID, "A@Example.com", 10*day)
	click(&def.ID, "a@example.com", -day) // after the conversion
	k, err := st.ClickByEmail(ctx, a.ID, " a@EXAMPLE.com", base)
	wantClick(t, "most recent click with the email", k, err, recent)

	click(&def.ID, "b@example.com", 30*day+time.Minute)
	k, err = st.ClickByEmail(ctx, a.ID, "b@example.com", base)
	wantNotFound(t, "outside the default 30-day window", k, err)
	inside := click(&def.ID, "c@example.com", 30*day-time.Minute)
	k, err = st.ClickByEmail(ctx, a.ID, "c@example.com", base)
	wantClick(t, "inside the default window", k, err, inside)

	click(&short.ID, "d@example.com", 8*day)
	k, err = st.ClickByEmail(ctx, a.ID, "d@example.com", base)
	wantNotFound(t, "outside the campaign's 7-day window", k, err)
	inShort := click(&short.ID, "e@example.com", 6*day)
	k, err = st.ClickByEmail(ctx, a.ID, "e@example.com", base)
	wantClick(t, "inside the campaign's 7-day window", k, err, inShort)

	noCampaign := click(nil, "f@example.com", 29*day)
	k, err = st.ClickByEmail(ctx, a.ID, "f@example.com", base)
	wantClick(t, "click without campaign: 30 days", k, err, noCampaign)

	k, err = st.ClickByEmail(ctx, a.ID, "", base)
	wantNotFound(t, "empty email", k, err)
}
