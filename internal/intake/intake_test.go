package intake_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/convrelay/convrelay/internal/accountcache"
	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/metrics"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type fixture struct {
	st   *store.Store
	p    *intake.Pipeline
	acct store.Account
	tok  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st := pgtest.NewStore(t)
	acct, _, err := st.CreateAccount(ctx, store.Account{Name: "intake", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := st.CreateIntegration(ctx, store.Integration{AccountID: acct.ID, Slug: "net", Preset: "custom"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, p: intake.New(st, accountcache.New(st, 0), nil), acct: acct, tok: in.Tokens[len(in.Tokens)-1].Secret}
}

func (f *fixture) accept(t *testing.T, slug, token, query string) (*intake.Live, error) {
	t.Helper()
	return f.p.Accept(context.Background(), intake.Request{AccountID: f.acct.ID, Integration: slug, Method: "GET",
		Path: "/" + f.acct.ID + "/collect/" + slug, RawQuery: query, SourceIP: "203.0.113.9", Token: token,
		ReceivedAt: time.Now()}, nil)
}

func (f *fixture) logged(t *testing.T) []store.LogEntry {
	t.Helper()
	rows, err := f.st.ListLog(context.Background(), f.acct.ID, store.LogFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// A live postback with its token is written to the log with its canonical form
// and the same key a dry run gives; an email-only one is keyed by the keyed hash.
func TestAcceptWritesTheLogRowWithTheDryRunsKey(t *testing.T) {
	f := newFixture(t)
	q := "email=Jane%40Example.com&commission=5"
	live, err := f.accept(t, "net", f.tok, q)
	if err != nil {
		t.Fatal(err)
	}
	dry, err := f.p.DryRun(context.Background(), f.acct.ID, intake.Trial{Integration: "net"}, postback.Request{RawQuery: q}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if live.Entry.ID == 0 || live.Entry.Outcome != "accepted" || live.Entry.WorkflowID != dry.WorkflowID || live.Decision.TxKey != dry.TxKey {
		t.Fatalf("live %+v, dry run %+v: want a logged accepted row with the dry run's key", live.Entry, dry)
	}
	if strings.Contains(strings.ToLower(dry.TxKey), "jane") || !strings.HasPrefix(dry.TxKey, "email") {
		t.Fatalf("email-only key %q must be the keyed hash", dry.TxKey)
	}
	imp, err := f.p.ImportRow(context.Background(), f.acct.ID, "custom", url.Values{"email": {"Jane@Example.com"}, "commission": {"5"}}, time.Now())
	if err != nil || imp.Entry.WorkflowID != dry.WorkflowID || imp.Key == "" {
		t.Fatalf("import row %+v %v: want the dry run's workflow id", imp, err)
	}
}

// Refusals: a wrong token is refused and logged as rejected; an unknown
// integration is logged short; an unknown account is not logged at all; the
// gate is asked only once the token passed.
func TestAcceptRefusals(t *testing.T) {
	f := newFixture(t)
	gated := 0
	gate := func(string) error { gated++; return &intake.Error{Kind: intake.ErrTooMany, Message: "slow down"} }
	_, err := f.p.Accept(context.Background(), intake.Request{AccountID: f.acct.ID, Integration: "net", RawQuery: "click_id=c1",
		Token: "wrong", ReceivedAt: time.Now()}, gate)
	if !errors.Is(err, intake.ErrForbidden) || gated != 0 {
		t.Fatalf("wrong token: %v (gate asked %d times), want forbidden before the gate", err, gated)
	}
	_, err = f.p.Accept(context.Background(), intake.Request{AccountID: f.acct.ID, Integration: "net", RawQuery: "click_id=c1",
		Token: f.tok, ReceivedAt: time.Now()}, gate)
	if !errors.Is(err, intake.ErrTooMany) || gated != 1 {
		t.Fatalf("with the token: %v (gate asked %d times), want the gate's refusal", err, gated)
	}
	long := strings.Repeat("q", 5000)
	if _, err := f.accept(t, "nosuch", f.tok, "x="+long); !errors.Is(err, intake.ErrUnknownIntegration) {
		t.Fatalf("unknown integration: %v", err)
	}
	if _, err := f.p.Accept(context.Background(), intake.Request{AccountID: "nosuch-account", Integration: "net",
		ReceivedAt: time.Now()}, nil); !errors.Is(err, intake.ErrUnknownAccount) {
		t.Fatalf("unknown account: %v", err)
	}
	rows := f.logged(t)
	if len(rows) != 2 {
		t.Fatalf("logged %d rows, want the wrong token and the unknown integration (not the gate's nor the unknown account's)", len(rows))
	}
	for _, r := range rows {
		if r.Outcome != "rejected" || r.Error == "" {
			t.Errorf("refused row %+v: want rejected with its reason", r)
		}
		if r.Integration == "nosuch" && len(r.RawQuery) > 1024 {
			t.Errorf("unknown integration's query kept at %d bytes, want at most 1024", len(r.RawQuery))
		}
	}
}

// A body that could not be read is refused with its own error once the account
// and the token are known.
func TestAcceptRefusesAnUnreadBody(t *testing.T) {
	f := newFixture(t)
	tooBig := intake.Refuse(intake.ErrTooLarge, "", "body larger than 10 bytes")
	_, err := f.p.Accept(context.Background(), intake.Request{AccountID: f.acct.ID, Integration: "net", Token: f.tok,
		ReceivedAt: time.Now(), ReadError: tooBig}, nil)
	if !errors.Is(err, intake.ErrTooLarge) {
		t.Fatalf("unread body: %v, want too large", err)
	}
}

// A flood of refused requests is counted, not stored in full: at most the
// per-account bound of rows a minute, each cut short, and every refusal in the
// metric by reason.
func TestRefusedRequestsAreSampledAndCounted(t *testing.T) {
	f := newFixture(t)
	f.p.RefusedPerMinute = 5
	f.p.Refused = metrics.New().Refused
	big := strings.Repeat("b", 2000)
	for i := 0; i < 40; i++ {
		if _, err := f.accept(t, "net", "wrong", "click_id=c&x="+big); !errors.Is(err, intake.ErrForbidden) {
			t.Fatalf("request %d without the token: %v", i, err)
		}
	}
	rows := f.logged(t)
	if len(rows) > 5 || len(rows) == 0 {
		t.Fatalf("%d refused rows stored, want between 1 and the bound of 5", len(rows))
	}
	for _, r := range rows {
		if len(r.RawQuery) > 1024 || len(r.RawBody) > 1024 {
			t.Fatalf("refused row keeps %d query and %d body bytes, want at most 1024", len(r.RawQuery), len(r.RawBody))
		}
	}
	stored := testutil.ToFloat64(f.p.Refused.WithLabelValues("forbidden", "stored"))
	counted := testutil.ToFloat64(f.p.Refused.WithLabelValues("forbidden", "counted"))
	if int(stored) != len(rows) || stored+counted != 40 {
		t.Fatalf("metric: %v stored, %v counted; want %d stored and 40 in all", stored, counted, len(rows))
	}
	// The token still works, and its postback is stored whole.
	if _, err := f.accept(t, "net", f.tok, "click_id=c&x="+big); err != nil {
		t.Fatalf("with the token after the flood: %v", err)
	}
}
