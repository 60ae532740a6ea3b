package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/store"
)

// Past its retention, a conversion keeps its record (status, value, transaction
// id, event) and loses its personal data: the stored postback's identity, traits
// and parameters, the click id, subs and the ids its unattributed reason quotes.
// A recent conversion, or one with a delivery still pending, keeps everything.
func TestRetentionPurgesTheStoredPostback(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a := newAccount(t, st)
	dest, err := st.CreateDestination(ctx, store.Destination{AccountID: a.ID, Type: "webhook", Name: "hook", Enabled: true,
		Config: map[string]string{"url": "https://hooks.example.com/x", "secret": "s"}})
	if err != nil {
		t.Fatal(err)
	}
	pb := `{"click_id":"clk-1","ref_id":"r-9","email":"jane@example.com","ip":"198.51.100.7","user_agent":"UA",
		"traits":{"email":"jane@example.com","phone":"+15551234567","first_name":"Jane"},
		"params":[{"name":"email","value":"jane@example.com"}],"passthrough":[{"name":"note","value":"jane"}],
		"transaction_id":"%s","status":"approved","value":"12.5","event_name":"Purchase","event_source":"event_name"}`
	old, recent := time.Now().Add(-200*24*time.Hour), time.Now().Add(-time.Hour)
	for _, c := range []struct {
		tx      string
		updated time.Time
	}{{"OLD1", old}, {"OLD2", old}, {"NEW", recent}, {"PENDING", old}} {
		if _, err := st.Pool.Exec(ctx, `INSERT INTO conversions (account_id, tx_key, transaction_id, status, value, currency, event_name,
				click_id, subs, unattributed_reason, postback, converted_at, updated_at)
			VALUES ($1, $2, $2, 'approved', 12.5, 'USD', 'Purchase', 'clk-1', '{"sub1":"jane@example.com"}',
				'No match found for click_id clk-1; No match found for ref_id r-9; No match found for email inside the attribution window',
				$3, $4, $4)`, a.ID, c.tx, strings.Replace(pb, "%s", c.tx, 1), c.updated); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Pool.Exec(ctx, `INSERT INTO deliveries (account_id, conversion_id, destination_id, event_key, status)
		SELECT $1, id, $2, 'k-pending', 'pending' FROM conversions WHERE tx_key = 'PENDING'`, a.ID, dest.ID); err != nil {
		t.Fatal(err)
	}
	type row struct {
		Postback, ClickID, Subs, Reason, Status, Value string
	}
	read := func(tx string) row {
		var r row
		if err := st.Pool.QueryRow(ctx, `SELECT postback::text, click_id, subs::text, unattributed_reason, status, value::text
			FROM conversions WHERE tx_key = $1`, tx).Scan(&r.Postback, &r.ClickID, &r.Subs, &r.Reason, &r.Status, &r.Value); err != nil {
			t.Fatalf("%s: %v", tx, err)
		}
		return r
	}
	before := map[string]row{"NEW": read("NEW"), "PENDING": read("PENDING")}

	var total int64
	for {
		n, err := st.PurgeBatch(ctx, store.RetainConversionPersonal, time.Now().Add(-180*24*time.Hour), 1)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if n < 1 {
			break
		}
	}
	if total != 2 {
		t.Fatalf("purged %d conversions, want the 2 old ones", total)
	}
	for _, tx := range []string{"OLD1", "OLD2"} {
		r := read(tx)
		var doc map[string]any
		if err := json.Unmarshal([]byte(r.Postback), &doc); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"click_id", "ref_id", "email", "ip", "user_agent", "traits", "params", "passthrough"} {
			if _, ok := doc[k]; ok {
				t.Errorf("%s: stored postback kept %s: %s", tx, k, r.Postback)
			}
		}
		if doc["transaction_id"] != tx || doc["status"] != "approved" || doc["value"] != "12.5" || doc["event_name"] != "Purchase" {
			t.Errorf("%s: stored postback lost its record: %s", tx, r.Postback)
		}
		for _, s := range []string{"jane", "clk-1", "r-9", "198.51.100.7", "5551234567"} {
			if strings.Contains(r.Postback+r.ClickID+r.Subs+r.Reason, s) {
				t.Errorf("%s: %q kept in %+v", tx, s, r)
			}
		}
		if r.Status != "approved" || r.Value != "12.500000" || !strings.Contains(r.Reason, "No match found for ref_id") {
			t.Errorf("%s: the conversion itself changed: %+v", tx, r)
		}
	}
	for tx, want := range before {
		if got := read(tx); got != want {
			t.Errorf("%s changed: %+v, want %+v", tx, got, want)
		}
	}
}
