package destinations

import (
	"strconv"
	"testing"
)

func webhookDest(u string) Destination {
	return Destination{ID: 6, Type: TypeWebhook, Name: "hook", Config: map[string]string{"url": u, "secret": "whsec_0123456789"}}
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
	sig := r.Header.Get(WebhookSignatureHeader)
	if !VerifyWebhookSignature("whsec_0123456789", r.Body, sig) {
		t.Errorf("signature %q does not verify", sig)
	}
	if VerifyWebhookSignature("other-secret", r.Body, sig) || VerifyWebhookSignature("whsec_0123456789", append(r.Body, ' '), sig) {
		t.Error("signature verifies with the wrong secret or a changed body")
	}
	if want := signWebhook("whsec_0123456789", r.Body); sig != want || sig[:7] != "sha256=" {
		t.Errorf("signature %q, want %q", sig, want)
	}
	if r.Header.Get(WebhookDeliveryIDHeader) != c.EventID {
		t.Errorf("delivery id %q", r.Header.Get(WebhookDeliveryIDHeader))
	}
	if r.Header.Get(WebhookTimestampHeader) != strconv.FormatInt(testNow.Unix(), 10) {
		t.Errorf("timestamp %q", r.Header.Get(WebhookTimestampHeader))
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
