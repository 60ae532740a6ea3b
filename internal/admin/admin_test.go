package admin_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/accountcache"
	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newService(t *testing.T) (*admin.Service, store.Account) {
	t.Helper()
	st := pgtest.NewStore(t)
	acct, _, err := st.CreateAccount(context.Background(), store.Account{Name: "admin", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	return &admin.Service{Store: st, Accounts: accountcache.New(st, 0), Logger: slog.New(slog.DiscardHandler)}, acct
}

func kindOf(err error) admin.Kind { return admin.AsError(err).Kind }

// Each use case answers with a kind the adapters map once: invalid with the
// field, not found for what the account does not have, conflict, unavailable
// without Temporal; a database failure is internal, never not found.
func TestUseCaseErrorKinds(t *testing.T) {
	s, acct := newService(t)
	ctx := admin.WithPrincipal(context.Background(), admin.Principal{Account: acct.ID, Role: admin.RoleOwner})
	_, _, err := s.CreateIntegration(ctx, acct.ID, admin.IntegrationRequest{Slug: "Bad Slug"})
	if ae := admin.AsError(err); ae.Kind != admin.KindInvalid || ae.Field != "slug" {
		t.Errorf("bad slug: %+v, want invalid slug", ae)
	}
	if _, _, err := s.CreateIntegration(ctx, acct.ID, admin.IntegrationRequest{Slug: "net", Preset: "nope"}); kindOf(err) != admin.KindInvalid {
		t.Errorf("unknown preset: %v", err)
	}
	if _, _, err := s.CreateIntegration(ctx, acct.ID, admin.IntegrationRequest{Slug: "net"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateIntegration(ctx, acct.ID, admin.IntegrationRequest{Slug: "net"}); kindOf(err) != admin.KindConflict {
		t.Errorf("second integration of one slug: %v, want conflict", err)
	}
	if _, _, err := s.AddIntegrationToken(ctx, acct.ID, "nosuch"); kindOf(err) != admin.KindNotFound {
		t.Errorf("token for an unknown integration: %v, want not found", err)
	}
	if _, err := s.RetryDelivery(ctx, acct.ID, 1); kindOf(err) != admin.KindUnavailable {
		t.Errorf("re-drive without Temporal: %v, want unavailable", err)
	}
	if _, err := s.Backfill(ctx, acct.ID, 1, 0); kindOf(err) != admin.KindInvalid {
		t.Errorf("backfill of 0 days: %v, want invalid", err)
	}
	if _, err := s.RetryPostback(ctx, acct.ID, 424242); kindOf(err) != admin.KindNotFound {
		t.Errorf("re-drive of an unknown postback: %v, want not found", err)
	}
	if _, err := s.Erase(ctx, acct.ID, admin.ErasureRequest{Email: "a@b.c", RefID: "1"}); kindOf(err) != admin.KindInvalid {
		t.Errorf("erasure by two identifiers: %v, want invalid", err)
	}
	if _, err := s.SaveCampaign(ctx, acct.ID, 0, admin.CampaignRequest{Name: "c", OfferURL: "https://{sub1}.example/"}); kindOf(err) != admin.KindInvalid {
		t.Errorf("macro in the offer host: %v, want invalid", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Report(cctx, acct.ID, admin.ReportRequest{GroupBy: []string{"campaign"}}); kindOf(err) != admin.KindInternal {
		t.Errorf("report with a failing database: %v, want internal (never not found)", err)
	}
	if msg := admin.AsError(errors.New("boom")).Message; strings.Contains(msg, "boom") {
		t.Errorf("an internal error's message %q must not carry its cause", msg)
	}
}

func TestReportRequestFrom(t *testing.T) {
	for q, wantField := range map[string]string{
		"group_by=campaign,campaign": "group_by",
		"group_by=nope":              "group_by",
		"group_by=day&colour=red":    "colour",
		"group_by=sub1&country=FR":   "",
	} {
		v, _ := url.ParseQuery(q)
		_, err := admin.ReportRequestFrom(v, "day")
		if got := admin.AsError(err).Field; (err == nil) != (wantField == "") || (err != nil && got != wantField) {
			t.Errorf("%s: %v (field %q), want field %q", q, err, got, wantField)
		}
	}
}

// Every CSV cell a spreadsheet would run is text; numbers, even negative ones, stay numbers.
func TestWriteReportCSVEscapesFormulas(t *testing.T) {
	rate := decimal.RequireFromString("0.5")
	rep := admin.Report{GroupBy: []string{"sub1"}, Currency: "EUR", Rows: []store.ReportRow{
		{Group: map[string]string{"sub1": "=cmd|' /C calc'!A0"}, Clicks: 2, Conversions: 1, Revenue: decimal.RequireFromString("-3.5"), ConversionRate: &rate},
		{Group: map[string]string{"sub1": "@SUM(1)"}},
		{Group: map[string]string{"sub1": "-12.5"}},
	}}
	var buf bytes.Buffer
	if err := admin.WriteReportCSV(&buf, nil, rep); err != nil {
		t.Fatal(err)
	}
	want := "sub1,clicks,pending,approved,rejected,conversions,unconverted,revenue,currency,conversion_rate,epc,cost,profit,roi,cpa\n" +
		"'=cmd|' /C calc'!A0,2,0,0,0,1,0,-3.5,EUR,0.5,,,,,\n" +
		"'@SUM(1),0,0,0,0,0,0,0,EUR,,,,,,\n" +
		"-12.5,0,0,0,0,0,0,0,EUR,,,,,,\n"
	if got := buf.String(); got != want {
		t.Fatalf("report CSV:\n%s\nwant:\n%s", got, want)
	}
}
