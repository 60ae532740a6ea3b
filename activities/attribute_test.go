package activities_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

const day = 24 * time.Hour

// now is the conversion time of every postback here.
var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

type fixture struct {
	t    *testing.T
	st   *store.Store
	act  *activities.Activities
	acct store.Account
	logs *bytes.Buffer
	cp   store.Campaign
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := pgtest.NewStore(t)
	acct, _, err := st.CreateAccount(context.Background(), store.Account{Name: "attr", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	payout := decimal.RequireFromString("7.25")
	cp, err := st.CreateCampaign(context.Background(), store.Campaign{AccountID: acct.ID,
		CampaignSettings: store.CampaignSettings{Name: "offer", OfferURL: "https://o.example/", DefaultPayout: &payout,
			TrafficSource: "meta"}})
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	return &fixture{t: t, st: st, acct: acct, cp: cp, logs: logs,
		act: &activities.Activities{Store: st, Logger: slog.New(slog.NewTextHandler(logs, nil))}}
}

// click records a click of the fixture's campaign 'ago' before now.
func (f *fixture) click(k store.Click, ago time.Duration) string {
	f.t.Helper()
	k.AccountID = f.acct.ID
	if k.CampaignID == nil {
		k.CampaignID = &f.cp.ID
	}
	k.CreatedAt = now.Add(-ago)
	out, err := f.st.InsertClick(context.Background(), k)
	if err != nil {
		f.t.Fatal(err)
	}
	return out.ID
}

func (f *fixture) attribute(p postback.Postback) conv.Attribution {
	f.t.Helper()
	res, err := f.act.Prepare(context.Background(), activities.PrepareInput{AccountID: f.acct.ID, TxKey: "tx", Postback: &p, ReceivedAt: now})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.Attribution
}

func (f *fixture) want(what string, p postback.Postback, clickID, by string) conv.Attribution {
	f.t.Helper()
	got := f.attribute(p)
	if !got.Attributed || got.ClickID != clickID || got.MatchedBy != by {
		f.t.Fatalf("%s: attribution = %+v; want click %s matched by %s", what, got, clickID, by)
	}
	return got
}

func (f *fixture) wantNone(what string, p postback.Postback, reason string) conv.Attribution {
	f.t.Helper()
	got := f.attribute(p)
	if got.Attributed || got.Reason != reason {
		f.t.Fatalf("%s: attribution = %+v; want unattributed with reason %q", what, got, reason)
	}
	return got
}

func TestAttributionOrder(t *testing.T) {
	f := newFixture(t)
	exact := f.click(store.Click{PageID: "A", RefID: "r-exact", Email: "x@example.com",
		SourceClick: store.SourceClick{VisitorID: "v1"}}, 3*day)
	visitorHit := f.click(store.Click{PageID: "B", SourceClick: store.SourceClick{VisitorID: "v1"}}, time.Hour)
	byRef := f.click(store.Click{RefID: "r1", Email: "x@example.com"}, 2*day)
	byEmail := f.click(store.Click{Email: "y@example.com"}, 5*day)

	// click_id beats vid, ref_id and email.
	f.want("click id", postback.Postback{ClickID: exact, VisitorID: "v1", RefID: "r1", Email: "y@example.com"}, exact, "click_id")
	// An unknown click id falls through to vid.
	f.want("unknown click id, then vid", postback.Postback{ClickID: "nope", VisitorID: "v1"}, visitorHit, "visitor")
	// vid beats ref_id and email.
	f.want("vid", postback.Postback{VisitorID: "v1", RefID: "r1", Email: "y@example.com"}, visitorHit, "visitor")
	// An unknown vid falls through to ref_id; ref_id beats email.
	f.want("ref_id", postback.Postback{VisitorID: "ghost", RefID: "r1", Email: "y@example.com"}, byRef, "ref_id")
	// Then email (also when sent as a trait).
	f.want("email", postback.Postback{RefID: "nope", Email: "Y@example.com"}, byEmail, "email")
	f.want("email trait", postback.Postback{Traits: postback.Traits{Email: "y@example.com"}}, byEmail, "email")
}

func TestAttributionVisitorAndPage(t *testing.T) {
	f := newFixture(t)
	f.click(store.Click{PageID: "A", SourceClick: store.SourceClick{VisitorID: "v"}}, 50*time.Hour)
	a2 := f.click(store.Click{PageID: "A", SourceClick: store.SourceClick{VisitorID: "v"}}, 30*time.Hour)
	f.click(store.Click{PageID: "B", SourceClick: store.SourceClick{VisitorID: "v"}}, 40*time.Hour)
	b2 := f.click(store.Click{PageID: "B", SourceClick: store.SourceClick{VisitorID: "v"}}, 20*time.Hour)
	latest := f.click(store.Click{PageID: "C", SourceClick: store.SourceClick{VisitorID: "v"}}, 10*time.Hour)
	f.click(store.Click{PageID: "A", SourceClick: store.SourceClick{VisitorID: "v"}}, -time.Hour) // after the conversion

	f.want("vid+p A", postback.Postback{VisitorID: "v", PageID: "A"}, a2, "visitor")
	f.want("vid+p B", postback.Postback{VisitorID: "v", PageID: "B"}, b2, "visitor")
	f.want("vid alone", postback.Postback{VisitorID: "v"}, latest, "visitor")
	// With p, a page the visitor never hit does not fall back to another page.
	f.wantNone("vid+p unknown page", postback.Postback{VisitorID: "v", PageID: "Z"},
		"No match found for vid v on page Z within its session")

	// The postback's own timestamp is the conversion time.
	ts := now.Add(-25 * time.Hour)
	f.want("vid+p A at the postback's timestamp", postback.Postback{VisitorID: "v", PageID: "A", Timestamp: &ts}, a2, "visitor")
	ts = now.Add(-45 * time.Hour)
	f.want("vid alone at the postback's timestamp", postback.Postback{VisitorID: "v", Timestamp: &ts}, f.firstOfPage("v", "A"), "visitor")
}

// firstOfPage is the oldest hit of a visitor on a page.
func (f *fixture) firstOfPage(vid, page string) string {
	f.t.Helper()
	var id string
	err := f.st.Pool.QueryRow(context.Background(), `SELECT id FROM clicks WHERE account_id = $1 AND visitor_id = $2 AND page_id = $3
		ORDER BY created_at LIMIT 1`, f.acct.ID, vid, page).Scan(&id)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func TestAttributionSessionEdge(t *testing.T) {
	f := newFixture(t)
	session := activities.DefaultVisitorSession
	f.click(store.Click{PageID: "A", SourceClick: store.SourceClick{VisitorID: "expired"}}, session+time.Minute)
	f.wantNone("4 days + 1 minute without activity", postback.Postback{VisitorID: "expired", PageID: "A"},
		"No match found for vid expired on page A within its session")
	f.wantNone("4 days + 1 minute, vid alone", postback.Postback{VisitorID: "expired"},
		"No match found for vid expired within its session")

	alive := f.click(store.Click{PageID: "A", SourceClick: store.SourceClick{VisitorID: "alive"}}, session-time.Minute)
	f.want("4 days - 1 minute", postback.Postback{VisitorID: "alive", PageID: "A"}, alive, "visitor")

	// A later hit extends the session: the A hit is 4 days + 1 minute old, but
	// the visitor hit B an hour later.
	extended := f.click(store.Click{PageID: "A", SourceClick: store.SourceClick{VisitorID: "extended"}}, session+time.Minute)
	f.click(store.Click{PageID: "B", SourceClick: store.SourceClick{VisitorID: "extended"}}, session-time.Hour)
	f.want("extended by a later hit", postback.Postback{VisitorID: "extended", PageID: "A"}, extended, "visitor")

	// A configured session length is honoured.
	f.act.VisitorSession = time.Hour
	f.wantNone("custom 1h session", postback.Postback{VisitorID: "alive", PageID: "A"},
		"No match found for vid alive on page A within its session")
}

func TestAttributionRefAndEmailWindow(t *testing.T) {
	f := newFixture(t)
	ref := f.click(store.Click{RefID: "crm-42"}, 200*day) // ref_id has no window
	f.want("ref_id", postback.Postback{RefID: "crm-42"}, ref, "ref_id")
	ext := f.click(store.Click{SourceClick: store.SourceClick{ExternalID: "ext-7"}}, day)
	f.want("external id as ref_id", postback.Postback{RefID: "ext-7"}, ext, "ref_id")

	inside := f.click(store.Click{Email: "in@example.com"}, 30*day-time.Minute)
	f.want("email inside 30 days", postback.Postback{Email: "in@example.com"}, inside, "email")
	f.click(store.Click{Email: "out@example.com"}, 30*day+time.Minute)
	f.wantNone("email outside 30 days", postback.Postback{Email: "out@example.com"},
		"No match found for email inside the attribution window")

	week, err := f.st.CreateCampaign(context.Background(), store.Campaign{AccountID: f.acct.ID,
		CampaignSettings: store.CampaignSettings{Name: "week", OfferURL: "https://o.example/", AttributionWindowDays: 7}})
	if err != nil {
		t.Fatal(err)
	}
	f.click(store.Click{CampaignID: &week.ID, Email: "wk@example.com"}, 8*day)
	f.wantNone("email outside the campaign's 7 days", postback.Postback{Email: "wk@example.com"},
		"No match found for email inside the attribution window")
	recent := f.click(store.Click{CampaignID: &week.ID, Email: "wk@example.com"}, 6*day)
	f.want("email inside the campaign's 7 days", postback.Postback{Email: "wk@example.com"}, recent, "email")
}

func TestAttributionCarriesCampaignData(t *testing.T) {
	f := newFixture(t)
	id := f.click(store.Click{SourceClick: store.SourceClick{ExternalID: "ext-1", FBCLID: "fbx", GCLID: "g1",
		IP: "198.51.100.4", UserAgent: "UA/1"}}, time.Hour)
	got := f.want("click id", postback.Postback{ClickID: id}, id, "click_id")
	if got.CampaignID != f.cp.ID || got.TrafficSource != "meta" || got.ExternalID != "ext-1" || got.AccountCurrency != "EUR" ||
		got.DefaultPayout == nil || !got.DefaultPayout.Equal(decimal.RequireFromString("7.25")) {
		t.Fatalf("attribution = %+v; want campaign %d, meta, ext-1, EUR, default payout 7.25", got, f.cp.ID)
	}

	// The source data travels with the click the conversion points to.
	k, err := f.st.GetClick(context.Background(), f.acct.ID, got.ClickID)
	if err != nil || k.GCLID != "g1" || k.FBCLID != "fbx" || k.IP != "198.51.100.4" || k.UserAgent != "UA/1" {
		t.Fatalf("click = %+v, %v", k, err)
	}

	// Without a campaign there is no default payout.
	free, err := f.st.InsertClick(context.Background(), store.Click{AccountID: f.acct.ID, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.want("campaignless click", postback.Postback{ClickID: free.ID}, free.ID, "click_id"); got.DefaultPayout != nil || got.CampaignID != 0 {
		t.Fatalf("campaignless attribution = %+v; want no campaign and no default payout", got)
	}
}

func TestUnattributedIsRecordedWithReason(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p := postback.Postback{ClickID: "missing-click", Email: "nobody@example.com", TransactionID: "T9", EventName: "Lead",
		Status: postback.StatusApproved}
	const reason = "No match found for click_id missing-click; No match found for email inside the attribution window"
	attr := f.wantNone("unknown click id and email", p, reason)
	if attr.ClickID != "missing-click" {
		t.Fatalf("unattributed click id = %q; want the one sent", attr.ClickID)
	}
	if !strings.Contains(f.logs.String(), "conversion unattributed") || !strings.Contains(f.logs.String(), "No match found for click_id missing-click") {
		t.Fatalf("log = %q; want the unattributed reason", f.logs.String())
	}
	f.wantNone("no key at all", postback.Postback{}, "No click_id, vid, ref_id or email to look up")

	// The conversion is still recorded, unattributed, with the reason.
	e := &store.LogEntry{AccountID: f.acct.ID, Integration: "pb", Method: "GET", Path: "/pb", ReceivedAt: now,
		Canonical: []byte(`{}`), TransactionID: "T9", WorkflowID: "conv/" + f.acct.ID + "/T9", Outcome: "accepted"}
	if err := f.st.InsertLog(ctx, e); err != nil {
		t.Fatal(err)
	}
	res, err := f.act.Record(ctx, activities.RecordInput{PostbackID: e.ID, AccountID: f.acct.ID, TxKey: "T9", Integration: "pb",
		ReceivedAt: now, Postback: &p, Attribution: attr,
		Decision: conv.Decision{Apply: true, From: conv.StatusNone, To: conv.StatusApproved, Value: decimal.RequireFromString("3")}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.st.GetConversion(ctx, f.acct.ID, res.State.ConversionID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Attributed || c.UnattributedReason != reason || c.Status != "approved" || c.Currency != "EUR" {
		t.Fatalf("conversion = %+v; want approved, unattributed with reason %q", c, reason)
	}
}
