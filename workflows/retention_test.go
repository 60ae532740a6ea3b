package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/convrelay/convrelay/workflows"
)

// The retention job deletes only rows past their retention, in batches, and
// never a postback accepted but not yet applied or a delivery still pending.
func TestRetentionDeletesOnlyOldRows(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old, recent := time.Now().Add(-100*24*time.Hour), time.Now().Add(-time.Hour)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := f.st.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	for i, at := range []time.Time{old, old, old, recent} {
		exec(`INSERT INTO postback_log (account_id, method, path, outcome, received_at, processed_at) VALUES ($1, 'GET', '/x', 'rejected', $2, $2)`, f.account.ID, at)
		exec(`INSERT INTO clicks (id, account_id, email, created_at) VALUES ($1, $2, 'a@example.com', $3)`, "k"+string(rune('a'+i)), f.account.ID, at)
	}
	// Old, but accepted and not yet applied: kept whatever its age.
	exec(`INSERT INTO postback_log (account_id, method, path, outcome, received_at, note) VALUES ($1, 'GET', '/x', 'accepted', $2, 'in flight')`, f.account.ID, old)
	exec(`INSERT INTO conversions (account_id, tx_key, status, currency, event_name, converted_at) VALUES ($1, 'T', 'approved', 'EUR', 'Lead', now())`, f.account.ID)
	// Old and done: keeps the conversion, loses the personal data.
	exec(`INSERT INTO conversions (account_id, tx_key, status, currency, event_name, converted_at, updated_at, click_id, postback)
		VALUES ($1, 'OLD', 'approved', 'EUR', 'Lead', $2, $2, 'ka', '{"email":"a@example.com","status":"approved"}')`, f.account.ID, old)
	for _, d := range []struct {
		key, status string
		at          time.Time
	}{{"d1", "delivered", old}, {"d2", "pending", old}, {"d3", "failed", recent}} {
		exec(`INSERT INTO deliveries (account_id, conversion_id, destination_id, event_key, status, created_at)
			SELECT $1, (SELECT id FROM conversions WHERE tx_key = 'T'), $2, $3, $4, $5`, f.account.ID, f.dest.ID, d.key, d.status, d.at)
	}

	f.env.ExecuteWorkflow(workflows.RetentionWorkflowName, workflows.RetentionInput{
		PostbackLog: 90 * 24 * time.Hour, Clicks: 90 * 24 * time.Hour, Deliveries: 90 * 24 * time.Hour,
		ConversionPersonal: 90 * 24 * time.Hour, Batch: 2})
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.RetentionResult
	if err := f.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Deleted["postback_log"] != 3 || res.Deleted["clicks"] != 3 || res.Deleted["deliveries"] != 1 || res.Deleted["conversion_personal"] != 1 {
		t.Fatalf("deleted %v, want 3 log rows, 3 clicks, 1 delivery, 1 conversion's personal data", res.Deleted)
	}
	count := func(sql string) int {
		var n int
		if err := f.st.Pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM postback_log WHERE received_at < now() - interval '90 days' AND note <> 'in flight'`); n != 0 {
		t.Fatalf("%d old log rows left", n)
	}
	if count(`SELECT count(*) FROM postback_log WHERE note = 'in flight'`) != 1 || count(`SELECT count(*) FROM postback_log WHERE received_at > now() - interval '1 day'`) != 1 {
		t.Fatal("a recent or in-flight log row was deleted")
	}
	if count(`SELECT count(*) FROM conversions WHERE tx_key = 'OLD' AND click_id = '' AND postback = '{"status":"approved"}'`) != 1 {
		t.Fatal("the old conversion's personal data was not removed, or the conversion went with it")
	}
	if count(`SELECT count(*) FROM clicks`) != 1 || count(`SELECT count(*) FROM deliveries WHERE event_key IN ('d2', 'd3')`) != 2 ||
		count(`SELECT count(*) FROM deliveries`) != 2 {
		t.Fatal("a recent click or a pending/recent delivery was deleted")
	}
}
