package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/internal/app"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/devstack"
	"github.com/convrelay/convrelay/internal/store"
)

// The customer a conversion belongs to, as a network sends it, and the digests
// each platform must receive (Meta: phone digits only; TikTok and Google: E.164).
const (
	custEmail = " Jane.Doe@Example.COM "
	custPhone = "+1 (415) 555-0100"
	clickIP   = "203.0.113.7"
	clickUA   = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
	clickRef  = "https://shop.example/landing?utm_source=fb"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var (
	wantEmailHash    = sha("jane.doe@example.com")
	wantPhoneMeta    = sha("14155550100")
	wantPhoneE164    = sha("+14155550100")
	deliveryStatuses = []string{"pending", "delivered", "failed", "suppressed"}
)

// forTest is st bound to a subtest, so its helpers fail the right test.
func (st *stack) forTest(t *testing.T) *stack {
	c := *st
	c.t = t
	return &c
}

// scenario is one subtest's own campaign: its destinations are bound to it and its
// conversions attributed to it, so parallel subtests never see each other's events.
type scenario struct {
	t        *testing.T
	st       *stack
	campaign int64
	clickID  string
}

func newScenario(t *testing.T, shared *stack, name string) *scenario {
	st := shared.forTest(t)
	code, body := st.admin("POST", "/campaigns", fmt.Sprintf(`{"name":%q,"offer_url":"https://offer.example/?c={click_id}"}`, name))
	if code != http.StatusCreated {
		t.Fatalf("create campaign: %d %v", code, body)
	}
	sc := &scenario{t: t, st: st, campaign: int64(body["id"].(float64))}
	click, _ := json.Marshal(map[string]any{"campaign_id": sc.campaign, "gclid": "Cj0KCQ-gclid-" + name, "ttclid": "E.C.P.ttclid-" + name,
		"fbclid": "IwAR-fbclid-" + name, "ip": clickIP, "user_agent": clickUA, "referrer": clickRef})
	code, body = st.admin("POST", "/clicks", string(click))
	if code != http.StatusCreated {
		t.Fatalf("create click: %d %v", code, body)
	}
	sc.clickID = body["click_id"].(string)
	return sc
}

// destination creates a destination pointing at f and returns its id.
func (sc *scenario) destination(f *fakePlatform, fireOn string) int64 {
	sc.t.Helper()
	code, body := sc.st.admin("POST", "/destinations", f.destination(f.kind+"-"+sc.t.Name(), fireOn, sc.campaign))
	if code != http.StatusCreated {
		sc.t.Fatalf("create %s destination: %d %v", f.kind, code, body)
	}
	return int64(body["id"].(float64))
}

// postback sends the network's postback for tx through the demo integration.
func (sc *scenario) postback(tx, status string, extra url.Values) {
	sc.t.Helper()
	q := url.Values{"click_id": {sc.clickID}, "transaction_id": {tx}, "commission": {"49.90"}, "currency": {"USD"},
		"status": {status}, "email": {custEmail}, "phone": {custPhone}}
	for k, v := range extra {
		q[k] = v
	}
	code, body := sc.st.call("GET", "/"+sc.st.info.AccountID+"/collect/demo?"+q.Encode(), "", "")
	if code != http.StatusOK || body["status"] != "accepted" {
		sc.t.Fatalf("postback %s %s answered %d %v", tx, status, code, body)
	}
}

// deliveries reads the delivery log with a query string.
func (st *stack) deliveries(query string) []map[string]any {
	st.t.Helper()
	return st.listed("/deliveries?"+query, "deliveries")
}

// waitDelivery waits until the log shows destination destID's delivery of tx in status want.
func (st *stack) waitDelivery(t *testing.T, tx string, destID int64, want string, timeout time.Duration) map[string]any {
	t.Helper()
	var got map[string]any
	eventually(t, fmt.Sprintf("delivery of %s to destination %d %s", tx, destID, want), timeout, func() error {
		ds := st.deliveries(fmt.Sprintf("transaction_id=%s&destination_id=%d", url.QueryEscape(tx), destID))
		if len(ds) != 1 {
			return fmt.Errorf("%d deliveries: %v", len(ds), ds)
		}
		if ds[0]["status"] != want {
			return fmt.Errorf("status %v (attempts %v, last_code %v, last_error %v)", ds[0]["status"], ds[0]["attempts"],
				ds[0]["last_code"], ds[0]["last_error"])
		}
		got = ds[0]
		return nil
	})
	return got
}

// waitProcessed waits until every postback of tx has been handled by its workflow.
func (st *stack) waitProcessed(t *testing.T, tx string, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d postbacks of %s processed", n, tx), 60*time.Second, func() error {
		_, body := st.admin("GET", "/postbacks?transaction_id="+url.QueryEscape(tx)+"&limit=100", "")
		rows, _ := body["postbacks"].([]any)
		done := 0
		for _, r := range rows {
			if r.(map[string]any)["processed_at"] != nil {
				done++
			}
		}
		if done != n {
			return fmt.Errorf("%d of %d processed", done, n)
		}
		return nil
	})
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// assertOneEvent checks what the issue calls "one event": every request to f
// carried the delivery's event id and the platform counted it once.
func assertOneEvent(t *testing.T, f *fakePlatform, d map[string]any, wantRequests int) {
	t.Helper()
	f.assertValid(t)
	if n := f.requests(); n != wantRequests {
		t.Errorf("%s received %d requests, want %d", f.kind, n, wantRequests)
	}
	ids := f.eventIDs()
	want := d["event_id"].(string)
	if f.kind == "postback" {
		want = d["transaction_id"].(string) // a postback template identifies the event by its transaction id
	}
	if len(ids) != 1 || ids[want] != f.requests() {
		t.Errorf("%s saw event ids %v, want only %q", f.kind, ids, want)
	}
	if c := f.conversions(); len(c) != 1 || !c[want] {
		t.Errorf("%s counted conversions %v, want exactly %q", f.kind, c, want)
	}
}

// TestDeliveryPolicy runs every delivery rule of the design against fake platforms
// on 127.0.0.1, through the whole product: postback, workflow, delivery activity,
// delivery log and admin API.
func TestDeliveryPolicy(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, nil)

	t.Run("RetriesThenDeliversOneEvent", func(t *testing.T) {
		t.Parallel()
		sc := newScenario(t, st, "retry")
		script := []answer{{Status: 500}, {Status: 500}, {Status: 200}}
		fakes := []*fakePlatform{newFake(t, "meta", script...), newFake(t, "tiktok", script...),
			newFake(t, "google_ads", script...), newFake(t, "postback", script...)}
		dest := map[*fakePlatform]int64{}
		for _, f := range fakes {
			dest[f] = sc.destination(f, "first")
		}
		const tx = "TX-RETRY-500"
		sc.postback(tx, "approved", nil)

		eventIDs := map[string]bool{}
		for _, f := range fakes {
			d := sc.st.waitDelivery(t, tx, dest[f], "delivered", 60*time.Second)
			assertOneEvent(t, f, d, 3)
			if num(d["attempts"]) != 3 || num(d["last_code"]) != 200 || d["delivered_at"] == nil || d["last_error"] != nil {
				t.Errorf("%s delivery log = %v, want delivered after 3 attempts, last code 200, no error", f.kind, d)
			}
			if d["destination_type"] != f.kind || d["kind"] != "conversion" {
				t.Errorf("%s delivery log = %v", f.kind, d)
			}
			eventIDs[d["event_id"].(string)] = true
			// Each retry waited for the backoff (1 s, then 2 s).
			log := f.log()
			if gap := log[2].At.Sub(log[1].At); gap < 1500*time.Millisecond {
				t.Errorf("%s: third attempt %s after the second, want about 2 s of backoff", f.kind, gap)
			}
		}
		if len(eventIDs) != len(fakes) {
			t.Errorf("event ids %v: want one per destination", eventIDs)
		}

		// Payload content: hashed traits, raw click ids, value.
		meta, tiktok, gads, pb := fakes[0].log()[2], fakes[1].log()[2], fakes[2].log()[2], fakes[3].log()[2]
		wantFields := []struct {
			kind   string
			got    map[string]string
			fields map[string]string
		}{
			{"meta", meta.Fields, map[string]string{"em": wantEmailHash, "ph": wantPhoneMeta, "client_ip_address": clickIP,
				"client_user_agent": clickUA, "value": "49.9", "currency": "USD", "order_id": tx}},
			{"tiktok", tiktok.Fields, map[string]string{"email": wantEmailHash, "phone": wantPhoneE164, "ttclid": "E.C.P.ttclid-retry",
				"ip": clickIP, "value": "49.9"}},
			{"google_ads", gads.Fields, map[string]string{"hashedEmail": wantEmailHash, "hashedPhoneNumber": wantPhoneE164,
				"gclid": "Cj0KCQ-gclid-retry", "value": "49.9"}},
			{"postback", pb.Fields, map[string]string{"cid": sc.clickID, "tx": tx, "payout": "49.9", "cur": "USD", "status": "approved"}},
		}
		for _, w := range wantFields {
			for k, v := range w.fields {
				if w.got[k] != v {
					t.Errorf("%s payload %s = %q, want %q", w.kind, k, w.got[k], v)
				}
			}
		}
		if !strings.HasPrefix(meta.Fields["fbc"], "fb.1.") || !strings.HasSuffix(meta.Fields["fbc"], ".IwAR-fbclid-retry") {
			t.Errorf("meta fbc = %q, want fb.1.<ms>.<fbclid>", meta.Fields["fbc"])
		}

		// Delivery log filters.
		if ds := sc.st.deliveries("transaction_id=" + tx); len(ds) != 4 {
			t.Errorf("deliveries of %s: %d, want 4", tx, len(ds))
		}
		if ds := sc.st.deliveries("status=delivered&transaction_id=" + tx); len(ds) != 4 {
			t.Errorf("delivered deliveries of %s: %d, want 4", tx, len(ds))
		}
		for _, s := range []string{"pending", "failed", "suppressed"} {
			if ds := sc.st.deliveries("status=" + s + "&transaction_id=" + tx); len(ds) != 0 {
				t.Errorf("status=%s lists %v", s, ds)
			}
		}
		if ds := sc.st.deliveries(fmt.Sprintf("destination_id=%d", dest[fakes[2]])); len(ds) != 1 || ds[0]["destination_type"] != "google_ads" {
			t.Errorf("destination_id filter: %v", ds)
		}
		for _, bad := range []string{"status=sent", "destination_id=x"} {
			if code, body := sc.st.admin("GET", "/deliveries?"+bad, ""); code != http.StatusBadRequest {
				t.Errorf("GET /deliveries?%s: %d %v, want 400", bad, code, body)
			}
		}

		// Conversions returned by the API carry their deliveries.
		cs := sc.st.conversions(tx)
		if len(cs) != 1 {
			t.Fatalf("conversions of %s: %v", tx, cs)
		}
		_, full := sc.st.admin("GET", fmt.Sprintf("/conversions/%v", cs[0]["id"]), "")
		for _, c := range []map[string]any{cs[0], full} {
			ds, _ := c["deliveries"].([]any)
			if len(ds) != 4 {
				t.Fatalf("conversion shows %d deliveries, want 4: %v", len(ds), c)
			}
			for _, d := range ds {
				d := d.(map[string]any)
				if d["status"] != "delivered" || !eventIDs[d["event_id"].(string)] || num(d["attempts"]) != 3 {
					t.Errorf("conversion delivery %v", d)
				}
			}
		}
	})

	t.Run("BadRequestFailsAtOnceKeepsMessageThenRedrive", func(t *testing.T) {
		t.Parallel()
		sc := newScenario(t, st, "badreq")
		f := newFake(t, "meta")
		var cfg map[string]any
		json.Unmarshal([]byte(f.destination("meta-badreq", "first", sc.campaign)), &cfg)
		cfg["config"].(map[string]any)["pixel_id"] = "111" // a pixel Meta does not know
		raw, _ := json.Marshal(cfg)
		code, body := sc.st.admin("POST", "/destinations", string(raw))
		if code != http.StatusCreated {
			t.Fatalf("create destination: %d %v", code, body)
		}
		destID := int64(body["id"].(float64))
		const tx = "TX-BAD-400"
		sc.postback(tx, "approved", nil)

		d := sc.st.waitDelivery(t, tx, destID, "failed", 30*time.Second)
		time.Sleep(3 * time.Second) // a retry would come after 1 s
		d = sc.st.waitDelivery(t, tx, destID, "failed", time.Second)
		if n := f.requests(); n != 1 {
			t.Errorf("meta received %d requests, want 1: a 400 is not retried", n)
		}
		lastErr, _ := d["last_error"].(string)
		if num(d["attempts"]) != 1 || num(d["last_code"]) != 400 || !strings.Contains(lastErr, "Object with ID '111' does not exist") ||
			d["delivered_at"] != nil {
			t.Errorf("delivery log = %v, want failed after 1 attempt, code 400 and Meta's message", d)
		}
		if strings.Contains(lastErr, f.token) {
			t.Errorf("last_error leaks the access token: %q", lastErr)
		}

		// Fix the destination the way a user would: GET it (secrets come back masked),
		// correct the pixel, PUT it back. The masked token must keep the real one.
		code, got := sc.st.admin("GET", fmt.Sprintf("/destinations/%d", destID), "")
		if code != http.StatusOK {
			t.Fatalf("GET destination: %d %v", code, got)
		}
		conf := got["config"].(map[string]any)
		if conf["access_token"] == f.token || !strings.HasSuffix(conf["access_token"].(string), f.token[len(f.token)-4:]) {
			t.Fatalf("GET destination shows access_token %v", conf["access_token"])
		}
		conf["pixel_id"] = f.pixel
		put, _ := json.Marshal(map[string]any{"type": "meta", "name": got["name"], "endpoint": got["endpoint"], "config": conf,
			"fire_on": got["fire_on"], "campaign_id": sc.campaign})
		if code, body := sc.st.admin("PUT", fmt.Sprintf("/destinations/%d", destID), string(put)); code != http.StatusOK {
			t.Fatalf("PUT destination: %d %v", code, body)
		}

		code, body = sc.st.admin("POST", fmt.Sprintf("/deliveries/%v/retry", d["id"]), "")
		if code != http.StatusAccepted || body["delivery"].(map[string]any)["status"] != "pending" {
			t.Fatalf("retry: %d %v", code, body)
		}
		d = sc.st.waitDelivery(t, tx, destID, "delivered", 30*time.Second)
		f.assertValid(t) // the re-driven request carried the real token
		ids := f.eventIDs()
		if f.requests() != 2 || len(ids) != 1 || ids[d["event_id"].(string)] != 2 || len(f.conversions()) != 1 {
			t.Errorf("meta saw %d requests with event ids %v, want the same event id twice, counted once", f.requests(), ids)
		}
		if num(d["attempts"]) != 2 || num(d["last_code"]) != 200 || d["last_error"] != nil || d["delivered_at"] == nil {
			t.Errorf("delivery log after re-drive = %v, want delivered, 2 attempts in all", d)
		}
		if code, body := sc.st.admin("POST", fmt.Sprintf("/deliveries/%v/retry", d["id"]), ""); code != http.StatusConflict {
			t.Errorf("retry of a delivered delivery: %d %v, want 409", code, body)
		}
		if code, body := sc.st.admin("POST", "/deliveries/999999/retry", ""); code != http.StatusNotFound {
			t.Errorf("retry of an unknown delivery: %d %v, want 404", code, body)
		}
	})

	t.Run("TooManyRequestsHonoursRetryAfter", func(t *testing.T) {
		t.Parallel()
		sc := newScenario(t, st, "ratelimit")
		f := newFake(t, "google_ads", answer{Status: 429, Message: "Too many requests. Retry in 2 seconds.", RetryAfter: "2"},
			answer{Status: 200})
		destID := sc.destination(f, "first")
		const tx = "TX-429"
		sc.postback(tx, "approved", nil)
		d := sc.st.waitDelivery(t, tx, destID, "delivered", 60*time.Second)
		assertOneEvent(t, f, d, 2)
		log := f.log()
		if gap := log[1].At.Sub(log[0].At); gap < 2*time.Second {
			t.Errorf("second attempt %s after the first, want at least the 2 s Retry-After asked", gap)
		}
		if num(d["attempts"]) != 2 || num(d["last_code"]) != 200 {
			t.Errorf("delivery log = %v, want delivered after 2 attempts", d)
		}
	})

	t.Run("DisablePostbacksSendsNothingRecordsSuppressed", func(t *testing.T) {
		t.Parallel()
		sc := newScenario(t, st, "disabled")
		meta, pb := newFake(t, "meta"), newFake(t, "postback")
		metaID, pbID := sc.destination(meta, "first"), sc.destination(pb, "first")
		const tx = "TX-DISABLED"
		sc.postback(tx, "approved", url.Values{"disable_postbacks": {"1"}})
		sc.st.waitProcessed(t, tx, 1)
		for _, id := range []int64{metaID, pbID} {
			d := sc.st.waitDelivery(t, tx, id, "suppressed", 10*time.Second)
			if num(d["attempts"]) != 0 || d["delivered_at"] != nil {
				t.Errorf("suppressed delivery %v", d)
			}
		}
		if ds := sc.st.deliveries("status=suppressed&transaction_id=" + tx); len(ds) != 2 {
			t.Errorf("status=suppressed lists %d deliveries, want 2", len(ds))
		}
		if cs := sc.st.conversions(tx); len(cs) != 1 || cs[0]["status"] != "approved" {
			t.Errorf("the conversion itself is still recorded: %v", cs)
		}
		time.Sleep(3 * time.Second)
		if n, m := meta.requests(), pb.requests(); n+m != 0 {
			t.Errorf("disable_postbacks=1 still sent %d requests to meta and %d to the postback", n, m)
		}
	})

	t.Run("FireOnApprovedSendsOnceOnApproval", func(t *testing.T) {
		t.Parallel()
		sc := newScenario(t, st, "fireon")
		approvedOnly, first := newFake(t, "meta"), newFake(t, "tiktok")
		approvedID, firstID := sc.destination(approvedOnly, "approved"), sc.destination(first, "first")
		const tx = "TX-FIRE-ON"

		sc.postback(tx, "pending", nil)
		sc.st.waitProcessed(t, tx, 1)
		sc.st.waitDelivery(t, tx, firstID, "delivered", 30*time.Second)
		time.Sleep(2 * time.Second)
		if n := approvedOnly.requests(); n != 0 {
			t.Fatalf("fire_on approved destination got %d requests for a pending conversion", n)
		}
		if ds := sc.st.deliveries(fmt.Sprintf("transaction_id=%s&destination_id=%d", tx, approvedID)); len(ds) != 0 {
			t.Fatalf("pending created a delivery for the fire_on approved destination: %v", ds)
		}

		sc.postback(tx, "approved", nil)
		d := sc.st.waitDelivery(t, tx, approvedID, "delivered", 30*time.Second)
		// A later change (approved with a new value) fires nothing more.
		sc.postback(tx, "approved", url.Values{"commission": {"55.00"}})
		sc.st.waitProcessed(t, tx, 3)
		time.Sleep(2 * time.Second)
		assertOneEvent(t, approvedOnly, d, 1)
		if v := approvedOnly.log()[0].Fields["value"]; v != "49.9" {
			t.Errorf("fire_on approved sent value %q, want the approved 49.9", v)
		}
		assertOneEvent(t, first, sc.st.waitDelivery(t, tx, firstID, "delivered", time.Second), 1)
	})

	t.Run("SecretsNeverReturnedInFull", func(t *testing.T) {
		t.Parallel()
		sc := newScenario(t, st, "secrets")
		secrets := []string{"EAAG-very-secret-meta-token-7a6b", "whsec-very-secret-signing-key-3c2d", "ga4-api-secret-value-1e0f"}
		bodies := []string{
			fmt.Sprintf(`{"type":"meta","name":"s-meta","config":{"pixel_id":"1","access_token":%q},"campaign_id":%d}`, secrets[0], sc.campaign),
			fmt.Sprintf(`{"type":"webhook","name":"s-hook","config":{"url":"https://hooks.example/x","secret":%q},"campaign_id":%d}`, secrets[1], sc.campaign),
			fmt.Sprintf(`{"type":"ga4","name":"s-ga4","config":{"measurement_id":"G-1","api_secret":%q},"campaign_id":%d}`, secrets[2], sc.campaign),
		}
		var ids []int64
		for _, b := range bodies {
			code, body := sc.st.admin("POST", "/destinations", b)
			if code != http.StatusCreated {
				t.Fatalf("create: %d %v", code, body)
			}
			ids = append(ids, int64(body["id"].(float64)))
			assertNoSecret(t, "POST /destinations", body, secrets)
		}
		for _, path := range []string{"/destinations", fmt.Sprintf("/destinations/%d", ids[0]), fmt.Sprintf("/destinations/%d", ids[1]),
			fmt.Sprintf("/destinations/%d", ids[2])} {
			code, body := sc.st.admin("GET", path, "")
			if code != http.StatusOK {
				t.Fatalf("GET %s: %d %v", path, code, body)
			}
			assertNoSecret(t, "GET "+path, body, secrets)
		}
		_, one := sc.st.admin("GET", fmt.Sprintf("/destinations/%d", ids[0]), "")
		if tok := one["config"].(map[string]any)["access_token"]; tok != "****7a6b" {
			t.Errorf("access_token shown as %v, want only its last 4 characters", tok)
		}
		// A PUT that changes a secret stores the new one (and still never shows it).
		put := fmt.Sprintf(`{"type":"meta","name":"s-meta","config":{"pixel_id":"1","access_token":"EAAG-rotated-token-99zz"},"campaign_id":%d}`, sc.campaign)
		code, body := sc.st.admin("PUT", fmt.Sprintf("/destinations/%d", ids[0]), put)
		if code != http.StatusOK || body["config"].(map[string]any)["access_token"] != "****99zz" {
			t.Errorf("PUT with a new token: %d %v", code, body)
		}
		stored, err := sc.st.s.Store.GetDestination(context.Background(), sc.st.info.AccountID, ids[0])
		if err != nil || stored.Config["access_token"] != "EAAG-rotated-token-99zz" {
			t.Errorf("stored token after PUT = %q (%v)", stored.Config["access_token"], err)
		}
	})
}

func assertNoSecret(t *testing.T, what string, body map[string]any, secrets []string) {
	t.Helper()
	raw, _ := json.Marshal(body)
	for _, s := range secrets {
		if strings.Contains(string(raw), s) {
			t.Errorf("%s returns the secret %q in full: %s", what, s, raw)
		}
	}
}

// startStackWithoutWorker runs the stack's API (with its dispatcher) but no worker:
// the test runs workers as processes of their own, so it can kill one.
func startStackWithoutWorker(t *testing.T) *stack {
	t.Helper()
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir, cfg.HTTPAddr, cfg.DatabaseURL, cfg.TemporalAddress = t.TempDir(), "127.0.0.1:0", "", ""
	cfg.SecretKey = workerSecretKey // the worker processes open the secrets with it
	ctx, cancel := context.WithCancel(context.Background())
	s, err := devstack.Start(ctx, cfg, devstack.Options{PGPort: -1, GRPCPort: -1, UIPort: -2}, testLogger(t))
	if err != nil {
		cancel()
		t.Fatalf("start stack: %v", err)
	}
	st := &stack{t: t, s: s, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	s.App.Ready = func(addr string) { ready <- addr }
	go func() { st.done <- s.App.Run(ctx, true, false) }()
	select {
	case addr := <-ready:
		st.info = s.Info
		st.info.APIBase = "http://" + addr
	case err := <-st.done:
		t.Fatalf("API stopped: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("API did not listen within 60s")
	}
	t.Cleanup(st.stop)
	return st
}

const workerProcessEnv = "CONVRELAY_E2E_WORKER_PROCESS"

// workerSecretKey is the stack's secret key in the tests that run worker processes.
const workerSecretKey = "ZTJlLXdvcmtlci1vbmx5LXNlY3JldC1rZXktMzJiISE="

// startWorkerProcess runs the product's worker (workflow and activities) in a child
// process of its own, against the stack's PostgreSQL and Temporal.
func startWorkerProcess(t *testing.T, info devstack.Info) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerProcessHelper$", "-test.count=1", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), workerProcessEnv+"=1", "DATABASE_URL="+info.DatabaseURL, "TEMPORAL_ADDRESS="+info.Temporal,
		"CONVRELAY_DB_MAX_CONNS=5", "CONVRELAY_WORKER_CONCURRENCY=20",
		"CONVRELAY_SECRET_KEY="+workerSecretKey, "CONVRELAY_DESTINATION_ALLOW=127.0.0.1/32")
	if os.Getenv("E2E_LOG") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start worker process: %v", err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// TestWorkerProcessHelper is the worker process startWorkerProcess runs; on its own
// it does nothing.
func TestWorkerProcessHelper(t *testing.T) {
	if os.Getenv(workerProcessEnv) != "1" {
		t.Skip("worker process for TestDeliveryWorkerKilledMidDelivery")
	}
	ctx := context.Background() // runs until killed
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("E2E_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := store.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		t.Fatal(err)
	}
	if s.Secrets, err = cfg.Keyring(); err != nil {
		t.Fatal(err)
	}
	topts, err := cfg.TemporalOptions(cfg.TemporalAddress, logger)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := client.DialContext(ctx, topts)
	if err != nil {
		t.Fatal(err)
	}
	a := &app.App{Config: cfg, Logger: logger, Store: s, Temporal: tc}
	if err := a.Run(ctx, false, true); err != nil {
		t.Fatal(err)
	}
}

// TestDeliveryWorkerKilledMidDelivery kills the worker process (SIGKILL) while the
// platform holds its delivery request, after the platform has taken the event; a
// new worker process retries it once the attempt times out. The platform sees the
// same event id twice and counts one conversion; the log shows one delivery.
func TestDeliveryWorkerKilledMidDelivery(t *testing.T) {
	st := startStackWithoutWorker(t)
	w1 := startWorkerProcess(t, st.info)

	hold := make(chan struct{})
	f := newFake(t, "meta", answer{Status: 200, Hold: hold}, answer{Status: 200})
	sc := newScenario(t, st, "kill")
	destID := sc.destination(f, "first")
	const tx = "TX-KILL"
	sc.postback(tx, "approved", nil)

	f.waitArrival(t, 1, 90*time.Second)
	if err := w1.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = w1.Wait()
	killedAt := time.Now()
	close(hold) // the platform answers 200 to a worker that is gone

	ds := st.deliveries(fmt.Sprintf("transaction_id=%s&destination_id=%d", tx, destID))
	if len(ds) != 1 || ds[0]["status"] != "pending" || num(ds[0]["attempts"]) != 0 {
		t.Fatalf("after the kill the log shows %v, want one pending delivery with no attempt recorded", ds)
	}

	startWorkerProcess(t, st.info)
	d := st.waitDelivery(t, tx, destID, "delivered", 120*time.Second)
	t.Logf("delivered %s after the kill", time.Since(killedAt).Round(time.Second))
	assertOneEvent(t, f, d, 2)
	if num(d["attempts"]) != 2 || num(d["last_code"]) != 200 {
		t.Errorf("delivery log = %v, want delivered on attempt 2", d)
	}
	if ds := st.deliveries("transaction_id=" + tx); len(ds) != 1 {
		t.Errorf("deliveries of %s: %v, want exactly one", tx, ds)
	}
	if cs := st.conversions(tx); len(cs) != 1 {
		t.Errorf("conversions of %s: %v, want exactly one", tx, cs)
	}
}
