package activities_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// TestPrepareHoldsNetworkStateAgainstTheTag: a browser-tag postback that
// reached a transaction a network rejected after the intake let it in (the
// race the intake's check cannot close) is read as a repeat of the state, so
// the state machine records a duplicate; a tag postback for a new transaction
// keeps its facts.
func TestPrepareHoldsNetworkStateAgainstTheTag(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	key := (&postback.Postback{TransactionID: "TAG-R"}).TransactionKey()
	if _, err := f.st.Pool.Exec(ctx, `INSERT INTO conversions (account_id, tx_key, transaction_id, integration, status, value,
		currency, event_name, converted_at) VALUES ($1, $2, 'TAG-R', 'network', 'rejected', 12, 'EUR', 'Purchase', now())`,
		f.acct.ID, key); err != nil {
		t.Fatal(err)
	}
	five := decimal.NewFromInt(5)
	prepare := func(tx string) *activities.PostbackFacts {
		t.Helper()
		pb := postback.Postback{TransactionID: tx, VisitorID: "v1", Value: &five, EventName: "Purchase",
			Status: postback.StatusApproved, Tag: true}
		canonical, _ := json.Marshal(pb)
		e := &store.LogEntry{AccountID: f.acct.ID, Integration: "tag", Method: "POST", Path: "/t/conversion", ReceivedAt: now,
			Canonical: canonical, TransactionID: tx, WorkflowID: "conv/" + f.acct.ID + "/" + tx, Outcome: "accepted"}
		if err := f.st.InsertLog(ctx, e); err != nil {
			t.Fatal(err)
		}
		res, err := f.act.Prepare(ctx, activities.PrepareInput{AccountID: f.acct.ID, TxKey: pb.TransactionKey(),
			PostbackID: e.ID, ReceivedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		return res.Facts
	}
	held := prepare("TAG-R")
	if held.Status != postback.Status(conv.StatusRejected) || held.Value == nil || !held.Value.Equal(decimal.NewFromInt(12)) {
		t.Fatalf("facts of a tag approval of a rejected transaction = %+v, want the rejected state repeated", held)
	}
	if !strings.Contains(f.logs.String(), "browser conversion held as a duplicate") {
		t.Fatalf("log = %q", f.logs.String())
	}
	fresh := prepare("TAG-NEW")
	if fresh.Status != postback.StatusApproved || !fresh.Value.Equal(five) {
		t.Fatalf("facts of a new tag transaction = %+v", fresh)
	}
}
