package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convrelay/convrelay/internal/devstack"
	"github.com/convrelay/convrelay/internal/pgtest"
)

// TestEraseShortRefIDTouchesOnlyThatPerson erases person A by the short ref id
// "12" over the HTTP erasure endpoint, while person B's click, postbacks,
// conversions and keys hold "12" in every value without any value being it
// (ref id A1234512, transaction TX-12-B, email b12@…, payout 12, sub1 12, a
// ref-keyed conversion ref:A1234512:Lead). Both arrive through the real intake,
// are attributed by ref id, delivered to a fake webhook, and their workflows
// complete (a settle window of seconds) before the erasure. A is erased as
// docs/erasure.md defines it; B's rows are byte for byte what they were, over
// the admin API and in PostgreSQL. B's postbacks sent again afterwards start
// new runs, which load the transaction's state by its key from PostgreSQL:
// each is a duplicate of B's conversion, not a new conversion, and nothing is
// delivered again. An erasure that matched substrings would scrub B's rows and
// rename the key ref:A1234512:Lead, so the resent postback would make a second
// conversion and a second delivery.
func TestEraseShortRefIDTouchesOnlyThatPerson(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, map[string]string{"CONVRELAY_SETTLE_WINDOW": "3s"})
	ctx := context.Background()
	pool := st.s.Store.Pool
	account := st.info.AccountID

	hook := newFake(t, "webhook")
	code, body := st.admin("POST", "/campaigns", `{"name":"erasure","offer_url":"https://offer.example/?c={click_id}"}`)
	if code != http.StatusCreated {
		t.Fatalf("create campaign: %d %v", code, body)
	}
	campaign := int64(body["id"].(float64))
	code, body = st.admin("POST", "/destinations", hook.destination("hook-erasure", "", campaign))
	if code != http.StatusCreated {
		t.Fatalf("create webhook destination: %d %v", code, body)
	}
	destID := int64(body["id"].(float64))
	click := func(fields map[string]any) string {
		t.Helper()
		fields["campaign_id"] = campaign
		raw, _ := json.Marshal(fields)
		code, body := st.admin("POST", "/clicks", string(raw))
		if code != http.StatusCreated {
			t.Fatalf("create click %s: %d %v", raw, code, body)
		}
		return body["click_id"].(string)
	}
	// send posts a postback through the demo integration and returns the
	// postback log id and the workflow id the intake gave it.
	send := func(q url.Values) (int64, string) {
		t.Helper()
		code, body := st.call("GET", "/"+account+"/collect/demo?"+q.Encode(), "", "")
		if code != http.StatusOK || body["status"] != "accepted" {
			t.Fatalf("postback %s answered %d %v", q.Encode(), code, body)
		}
		return int64(body["postback_id"].(float64)), body["workflow_id"].(string)
	}

	// Person A: ref id 12, attributed to their click by it.
	// A browser's user agent: an unknown one would be kept whole as the
	// conversion's browser, a report dimension erasure keeps.
	const emailA, ipA, visitorA = "anna@example.org", "198.51.100.7", "vis-person-A"
	const uaA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0 person-A"
	clickA := click(map[string]any{"ref_id": "12", "email": emailA, "ip": ipA, "user_agent": uaA, "visitor_id": visitorA})
	logA, wfA := send(url.Values{"ref_id": {"12"}, "event_name": {"Lead"}, "commission": {"5"}, "currency": {"USD"},
		"status": {"approved"}, "email": {emailA}})

	// Person B: every value contains "12" without being it, one conversion keyed
	// by the network's transaction id and one by B's ref id.
	clickB := click(map[string]any{"ref_id": "A1234512", "email": "b12@example.com", "ip": "203.0.113.12", "user_agent": "UA 12",
		"visitor_id": "vis-12-B", "subs": map[string]string{"sub1": "12"}})
	queryB1 := url.Values{"ref_id": {"A1234512"}, "transaction_id": {"TX-12-B"}, "commission": {"12"}, "currency": {"USD"},
		"status": {"approved"}, "email": {"b12@example.com"}, "sub1": {"12"}, "xat_page": {"12"}}
	queryB2 := url.Values{"ref_id": {"A1234512"}, "event_name": {"Lead"}, "commission": {"12"}, "currency": {"USD"},
		"status": {"approved"}, "email": {"b12@example.com"}, "sub1": {"12"}}
	logB1, wfB1 := send(queryB1)
	logB2, wfB2 := send(queryB2)
	if wfA != "conv/"+account+"/ref:12:Lead" || wfB1 != "conv/"+account+"/TX-12-B" || wfB2 != "conv/"+account+"/ref:A1234512:Lead" {
		t.Fatalf("setup: workflow ids %q %q %q", wfA, wfB1, wfB2)
	}

	// Applied, delivered, and every workflow closed: a later postback starts a
	// new run that reads the state from PostgreSQL, not from an open run.
	eventually(t, "three deliveries delivered", 60*time.Second, func() error {
		ds := st.deliveries(fmt.Sprintf("destination_id=%d", destID))
		if len(ds) != 3 {
			return fmt.Errorf("%d deliveries", len(ds))
		}
		for _, d := range ds {
			if d["status"] != "delivered" {
				return fmt.Errorf("delivery %v is %v", d["id"], d["status"])
			}
		}
		return nil
	})
	firstRun := map[string]string{}
	for _, wf := range []string{wfA, wfB1, wfB2} {
		st.waitCompleted(t, wf)
		firstRun[wf], _ = st.runOf(t, wf)
	}
	convsOf := func(clickID string) []map[string]any {
		t.Helper()
		return st.listed("/conversions?click_id="+url.QueryEscape(clickID), "conversions")
	}
	csA, csB := convsOf(clickA), convsOf(clickB)
	if len(csA) != 1 || len(csB) != 2 {
		t.Fatalf("setup: conversions of A %v, of B %v", csA, csB)
	}
	convA := int64(csA[0]["id"].(float64))
	// byKey is B's conversion ids by transaction key (the two workflows ran
	// side by side, so their ids come in either order).
	byKey := func(cs []map[string]any) map[string]int64 {
		out := map[string]int64{}
		for _, c := range cs {
			out[c["tx_key"].(string)] = int64(c["id"].(float64))
		}
		return out
	}
	keysB := byKey(csB)
	convB := []int64{keysB["TX-12-B"], keysB["ref:A1234512:Lead"]}
	if len(keysB) != 2 || convB[0] == 0 || convB[1] == 0 {
		t.Fatalf("setup: B's conversions by key %v, want TX-12-B and ref:A1234512:Lead", keysB)
	}

	// B as the admin API shows it (each conversion with its stored postback,
	// source click, key, history and deliveries; the postback log rows) and as
	// PostgreSQL holds it (every column of every row, keys included).
	apiViewB := func() string {
		t.Helper()
		var parts []string
		for _, id := range convB {
			code, body := st.admin("GET", fmt.Sprintf("/conversions/%d", id), "")
			if code != http.StatusOK {
				t.Fatalf("get conversion %d: %d %v", id, code, body)
			}
			raw, _ := json.Marshal(body)
			parts = append(parts, string(raw))
		}
		for _, id := range []int64{logB1, logB2} {
			raw, _ := json.Marshal(st.logRow(id))
			parts = append(parts, string(raw))
		}
		return strings.Join(parts, "\n")
	}
	dbViewB := func() map[string][]string {
		t.Helper()
		out := map[string][]string{}
		for _, q := range []struct {
			table, sql string
			arg        any
		}{
			{"postback_log", `SELECT t::text FROM postback_log t WHERE id = ANY($1) ORDER BY id`, []int64{logB1, logB2}},
			{"conversions", `SELECT t::text FROM conversions t WHERE id = ANY($1) ORDER BY id`, convB},
			{"conversion_events", `SELECT t::text FROM conversion_events t WHERE conversion_id = ANY($1) ORDER BY id`, convB},
			{"deliveries", `SELECT t::text FROM deliveries t WHERE conversion_id = ANY($1) ORDER BY id`, convB},
			{"clicks", `SELECT t::text FROM clicks t WHERE id = $1`, clickB},
		} {
			table := q.table
			rows, err := pool.Query(ctx, q.sql, q.arg)
			if err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			if out[table], err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
		}
		return out
	}
	apiBefore, dbBefore := apiViewB(), dbViewB()
	for table, n := range map[string]int{"postback_log": 2, "conversions": 2, "deliveries": 2, "clicks": 1} {
		if len(dbBefore[table]) != n {
			t.Fatalf("setup: B has %d %s rows, want %d: %v", len(dbBefore[table]), table, n, dbBefore[table])
		}
	}
	if n := len(pgtest.ColumnsHolding(t, pool, account, []string{emailA, ipA, uaA, visitorA, "ref:12:"})); n == 0 {
		t.Fatal("setup: A's values are nowhere before the erasure: the search below would prove nothing")
	}

	code, body = st.admin("POST", "/erasure", `{"ref_id":"12"}`)
	if code != http.StatusOK || body["erased_by"] != "ref_id" {
		t.Fatalf("erasure: %d %v", code, body)
	}
	rows, _ := body["rows"].(map[string]any)
	t.Logf("erased %v", rows)
	for table, want := range map[string]float64{"clicks": 1, "postback_log": 1, "conversions": 1, "deliveries": 1} {
		if rows[table] != want {
			t.Errorf("erasure changed %v %s rows, want %v (A's only): %v", rows[table], table, want, rows)
		}
	}

	// B: unchanged, over the API and in every column.
	if apiAfter := apiViewB(); apiAfter != apiBefore {
		t.Errorf("the admin API shows B changed:\nbefore %s\nafter  %s", apiBefore, apiAfter)
	}
	dbAfter := dbViewB()
	for table, before := range dbBefore {
		if !slices.Equal(dbAfter[table], before) {
			t.Errorf("B's %s rows changed:\nbefore %v\nafter  %v", table, before, dbAfter[table])
		}
	}

	// A: erased. The click is gone, the log row keeps no request, address or
	// identity, the conversion (kept: the account's record) lost its click, its
	// stored postback's identity and its ref-built key, and so did its delivery.
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM clicks WHERE account_id = $1 AND (id = $2 OR visitor_id = $3)`,
		account, clickA, visitorA).Scan(&n); err != nil || n != 0 {
		t.Errorf("A's clicks left: %d (%v)", n, err)
	}
	la := st.logRow(logA)
	canonA, _ := json.Marshal(la["canonical"])
	if la["raw_query"] != "" || la["raw_body"] != "" || la["source_ip"] != "" || strings.Contains(fmt.Sprint(la["workflow_id"]), "ref:12") ||
		strings.Contains(string(canonA), `"12"`) || strings.Contains(string(canonA), emailA) || la["processed_at"] == nil {
		t.Errorf("A's postback log row was not erased: %v", la)
	}
	code, ca := st.admin("GET", fmt.Sprintf("/conversions/%d", convA), "")
	pbA, _ := json.Marshal(ca["postback"])
	if code != http.StatusOK || !strings.HasPrefix(fmt.Sprint(ca["tx_key"]), "erased:") || ca["click_id"] != "" || ca["source"] != nil ||
		strings.Contains(string(pbA), `"12"`) || strings.Contains(string(pbA), emailA) || ca["status"] != "approved" || ca["value"] != "5" {
		t.Errorf("A's conversion was not erased as documented (%d): %v", code, ca)
	}
	var eventKey string
	if err := pool.QueryRow(ctx, `SELECT event_key FROM deliveries WHERE conversion_id = $1`, convA).Scan(&eventKey); err != nil ||
		!strings.HasPrefix(eventKey, "erased:") {
		t.Errorf("A's delivery key %q (%v), want erased:…", eventKey, err)
	}
	if hits := pgtest.ColumnsHolding(t, pool, account, []string{emailA, ipA, uaA, visitorA, "ref:12:"}); len(hits) > 0 {
		t.Errorf("A's values still in %v", hits)
	}

	// B's postbacks again: each a duplicate of B's conversion, found by its
	// unchanged key from a new run; nothing new is recorded or delivered.
	again1, wf1 := send(queryB1)
	again2, wf2 := send(queryB2)
	if wf1 != wfB1 || wf2 != wfB2 {
		t.Fatalf("resent postbacks went to %q and %q, want %q and %q", wf1, wf2, wfB1, wfB2)
	}
	for _, id := range []int64{again1, again2} {
		eventually(t, fmt.Sprintf("resent postback %d processed", id), 60*time.Second, func() error {
			if r := st.logRow(id); r["processed_at"] == nil {
				return fmt.Errorf("not processed: %v", r)
			}
			return nil
		})
		if r := st.logRow(id); r["outcome"] != "duplicate" {
			t.Errorf("resent postback %d: outcome %v, want duplicate: %v", id, r["outcome"], r)
		}
	}
	for _, wf := range []string{wfB1, wfB2} {
		if run, _ := st.runOf(t, wf); run == firstRun[wf] {
			t.Errorf("%s: run %s, want a new run after %s", wf, run, firstRun[wf])
		}
	}
	time.Sleep(2 * time.Second) // a stray delivery would arrive by now
	if cs := convsOf(clickB); len(cs) != 2 || fmt.Sprint(byKey(cs)) != fmt.Sprint(keysB) {
		t.Errorf("B's conversions after the resend %v, want the two from before %v", cs, keysB)
	}
	if cs := st.conversions("TX-12-B"); len(cs) != 1 {
		t.Errorf("conversions of TX-12-B: %v, want one", cs)
	}
	var total int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM conversions WHERE account_id = $1`, account).Scan(&total); err != nil || total != 3 {
		t.Errorf("the account has %d conversions (%v), want 3 (A's and B's two)", total, err)
	}
	if ds := st.deliveries(fmt.Sprintf("destination_id=%d", destID)); len(ds) != 3 {
		t.Errorf("%d deliveries after the resend, want the 3 from before: %v", len(ds), ds)
	}
	hook.assertValid(t)
	if n := hook.requests(); n != 3 {
		t.Errorf("webhook received %d requests, want 3 (A, B's two conversions once each)", n)
	}
}

// logRow is the postback log row id as GET /postbacks lists it.
func (st *stack) logRow(id int64) map[string]any {
	st.t.Helper()
	for _, m := range st.listed(fmt.Sprintf("/postbacks?limit=1&cursor=%d", id+1), "postbacks") {
		if int64(m["id"].(float64)) == id {
			return m
		}
	}
	st.t.Fatalf("postback %d is not in the log", id)
	return nil
}
