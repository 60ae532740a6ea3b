package activities_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// ecbDay is the ECB daily file's format with a chosen day and rates.
func ecbDay(date, usd, gbp string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
	<Cube><Cube time='` + date + `'>
		<Cube currency='USD' rate='` + usd + `'/><Cube currency='JPY' rate='160.50'/><Cube currency='GBP' rate='` + gbp + `'/>
	</Cube></Cube>
</gesmes:Envelope>`
}

// recordIn records one approved conversion of value in currency at 'at'.
func recordIn(t *testing.T, st *store.Store, account, tx, value, currency string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	e := &store.LogEntry{AccountID: account, Integration: "pb", Method: "GET", Path: "/pb", ReceivedAt: at,
		Canonical: []byte(`{}`), TransactionID: tx, WorkflowID: "conv/" + account + "/" + tx, Outcome: "accepted"}
	if err := st.InsertLog(ctx, e); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Record(ctx, store.RecordParams{PostbackID: e.ID, AccountID: account, TxKey: tx, TransactionID: tx,
		EventName: "Purchase", Currency: currency, ConvertedAt: at, Attribution: conv.Attribution{Reason: "none"},
		Decision: conv.Decision{Apply: true, From: conv.StatusNone, To: conv.StatusApproved, Value: decimal.RequireFromString(value)}}); err != nil {
		t.Fatal(err)
	}
}

func converted(t *testing.T, st *store.Store, account, tx string) store.Conversion {
	t.Helper()
	list, err := st.ListConversions(context.Background(), account, store.ConversionFilter{TransactionID: tx, Limit: 1})
	if err != nil || len(list) != 1 {
		t.Fatalf("conversion %s: %v %v", tx, list, err)
	}
	return list[0]
}

// TestRatesPendingThenConverted: a conversion whose rate is unknown is recorded
// without an account-currency value and converted when the rates arrive; one in
// the account's currency needs no rate.
func TestRatesPendingThenConverted(t *testing.T) {
	st := pgtest.NewStore(t)
	ctx := context.Background()
	acct, _, err := st.CreateAccount(ctx, store.Account{Name: "fx", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC)
	recordIn(t, st, acct.ID, "G1", "100", "GBP", at)
	recordIn(t, st, acct.ID, "U1", "12.5", "USD", at)
	recordIn(t, st, acct.ID, "E1", "10", "EUR", at.AddDate(0, 0, -3)) // before any rate: stays pending

	if c := converted(t, st, acct.ID, "G1"); c.ValueAccount != nil || c.AccountCurrency == nil || *c.AccountCurrency != "USD" {
		t.Fatalf("GBP conversion without rates = %+v, want no value_account yet", c)
	}
	if c := converted(t, st, acct.ID, "U1"); c.ValueAccount == nil || !c.ValueAccount.Equal(decimal.RequireFromString("12.5")) ||
		!c.Rate.Equal(decimal.NewFromInt(1)) {
		t.Fatalf("USD conversion = %+v, want 12.5 at rate 1", c)
	}

	var served atomic.Int64
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(ecbDay("2026-03-09", "1.0800", "0.8400")))
	}))
	defer src.Close()
	rates := &activities.Rates{Store: st, Client: src.Client(), URL: src.URL + "/eurofxref-daily.xml"}
	res, err := rates.FetchRates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if served.Load() != 1 || res.Days != 1 || res.Rates != 3 || res.Latest != "2026-03-09" || res.Converted != 1 || res.StillPending != 1 {
		t.Fatalf("fetch result = %+v (served %d)", res, served.Load())
	}
	// GBP -> USD through EUR: 1.08 / 0.84 = 1.2857142857; the rate of the latest day on or before the conversion's.
	c := converted(t, st, acct.ID, "G1")
	if c.ValueAccount == nil || !c.ValueAccount.Equal(decimal.RequireFromString("128.571429")) ||
		!c.Rate.Equal(decimal.RequireFromString("1.2857142857")) || c.RateDate.Format("2006-01-02") != "2026-03-09" ||
		!c.Value.Equal(decimal.NewFromInt(100)) || c.Currency != "GBP" {
		t.Fatalf("GBP conversion after rates = value_account %v rate %v date %v, value %v %s", c.ValueAccount, c.Rate, c.RateDate, c.Value, c.Currency)
	}
	if c := converted(t, st, acct.ID, "E1"); c.ValueAccount != nil {
		t.Fatalf("a conversion dated before every rate was converted: %+v", c)
	}
	// A second fetch of the same day changes nothing and converts nothing more.
	if res, err := rates.FetchRates(ctx); err != nil || res.Converted != 0 || res.StillPending != 1 {
		t.Fatalf("second fetch = %+v, %v", res, err)
	}
	// A new account currency re-values every conversion with the stored rates.
	if _, err := st.UpdateAccountSettings(ctx, acct.ID, store.AccountSettings{Currency: "EUR", Timezone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ConvertPending(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	if c := converted(t, st, acct.ID, "U1"); c.ValueAccount == nil || !c.ValueAccount.Equal(decimal.RequireFromString("11.574074")) ||
		*c.AccountCurrency != "EUR" {
		t.Fatalf("USD conversion in a EUR account = %v %v", c.ValueAccount, c.AccountCurrency)
	}
	if c := converted(t, st, acct.ID, "E1"); c.ValueAccount == nil || !c.ValueAccount.Equal(decimal.NewFromInt(10)) {
		t.Fatalf("EUR conversion in a EUR account = %v, want 10 at rate 1", c.ValueAccount)
	}
}
