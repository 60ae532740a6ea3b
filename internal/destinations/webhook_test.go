package destinations

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testSecret is the Standard Webhooks specification's example secret.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func webhookDest(u string) Destination {
	return Destination{ID: 6, Type: TypeWebhook, Name: "hook", Config: map[string]string{"url": u, "secret": testSecret}}
}

// receiverAccepts is a Standard Webhooks receiver written from the
// specification, independently of the product code: HMAC-SHA256 keyed with the
// base64-decoded part of whsec_, over "id.timestamp.body", compared with each
// space-separated "v1,<base64>" signature.
func receiverAccepts(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	if id == "" || ts == "" {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		version, b64, ok := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(b64)
		if ok && version == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// The specification's published example: secret, id, timestamp and payload
// give exactly this signature.
func TestWebhookSignatureMatchesTheStandardWebhooksExample(t *testing.T) {
	got, err := signWebhook("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", got)
	if !receiverAccepts(testSecret, h, []byte(`{"test": 2432232314}`)) {
		t.Fatal("the test's own verifier rejects the specification's example")
	}
}

// While a secret rotates, both the new and the previous secret sign; a receiver
// holding either accepts the webhook.
func TestWebhookSignsWithBothSecretsDuringRotation(t *testing.T) {
	f := newFake(t, 200, "")
	newSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("the new signing key, 32 bytes ok"))
	d := webhookDest(f.URL)
	d.Config["secret"], d.Config["previous_secret"] = newSecret, testSecret
	if _, de := send(t, d, sampleConversion()); de != nil {
		t.Fatal(de)
	}
	r := f.only(t)
	if n := len(strings.Fields(r.Header.Get("webhook-signature"))); n != 2 {
		t.Fatalf("%d signatures, want 2", n)
	}
	if !receiverAccepts(newSecret, r.Header, r.Body) || !receiverAccepts(testSecret, r.Header, r.Body) {
		t.Fatal("a receiver with either secret must accept")
	}
	if err := VerifyWebhook(newSecret, r.Header, r.Body); err == nil {
		t.Fatal("VerifyWebhook accepted a timestamp from the test clock, long past")
	}
}

func TestWebhookIsSignedAndShaped(t *testing.T) {
	f := newFake(t, 202, "")
	c := sampleConversion()
	c.Kind = KindReversal
	c.Status = "rejected"
	if _, de := send(t, webhookDest(f.URL+"/hooks/convrelay"), c); de != nil {
		t.Fatal(de)
	}
	r := f.only(t)
	if r.Method != "POST" || r.Path != "/hooks/convrelay" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %s %v", r.Method, r.Path, r.Header)
	}
	if r.Header.Get(WebhookIDHeader) != c.EventID {
		t.Errorf("webhook-id %q, want the event id %q", r.Header.Get(WebhookIDHeader), c.EventID)
	}
	if r.Header.Get(WebhookTimestampHeader) != strconv.FormatInt(testNow.Unix(), 10) {
		t.Errorf("webhook-timestamp %q", r.Header.Get(WebhookTimestampHeader))
	}
	if !receiverAccepts(testSecret, r.Header, r.Body) {
		t.Errorf("signature %q does not verify", r.Header.Get(WebhookSignatureHeader))
	}
	// A replay under another id or time, a changed body or another secret fail.
	replay := r.Header.Clone()
	replay.Set(WebhookTimestampHeader, strconv.FormatInt(testNow.Unix()+3600, 10))
	otherID := r.Header.Clone()
	otherID.Set(WebhookIDHeader, "another-event")
	if receiverAccepts(testSecret, replay, r.Body) || receiverAccepts(testSecret, otherID, r.Body) ||
		receiverAccepts(testSecret, r.Header, append(r.Body, ' ')) || receiverAccepts("whsec_"+base64.StdEncoding.EncodeToString([]byte("another key")), r.Header, r.Body) {
		t.Error("signature verifies a replay, a changed body or another secret")
	}
	body := decode(t, r.Body)
	wantString(t, body["id"], c.EventID)
	wantString(t, body["type"], "reversal")
	wantString(t, body["occurred_at"], "2026-11-20T10:00:00Z")
	cv := path(t, body, "conversion")
	wantString(t, path(t, cv, "value"), "49.9")
	wantString(t, path(t, cv, "status"), "rejected")
	wantString(t, path(t, cv, "transaction_id"), "TX-42")
	wantString(t, path(t, cv, "subs", "sub1"), "s1")
	if _, ok := cv.(map[string]any)["email"]; ok {
		t.Error("webhook carries personal traits")
	}
}

func TestReversalsOnlyGoToWebhooks(t *testing.T) {
	f := newFake(t, 200, `{}`)
	c := sampleConversion()
	c.Kind = KindReversal
	for _, d := range []Destination{metaDest(f.URL), tiktokDest(f.URL), googleDest(f.URL), ga4Dest(f.URL),
		postbackDest(f.URL+"/pb", "")} {
		_, de := send(t, d, c)
		if de == nil || de.Retryable {
			t.Errorf("%s: reversal not refused: %v", d.Type, de)
		}
	}
	if f.count() != 0 {
		t.Error("a reversal reached an ad platform")
	}
}
