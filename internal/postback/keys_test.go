package postback

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestKeys(t *testing.T) {
	cases := []struct {
		pb        Postback
		match, tx string
	}{
		{Postback{ClickID: "abc", EventName: "Lead"}, "click:abc", "click:abc:Lead"},
		{Postback{ClickID: "abc", TransactionID: "T-1", EventName: "Lead"}, "click:abc", "T-1"},
		// A transaction id never keeps a raw ':', so it cannot collide with a match key.
		{Postback{TransactionID: "click:abc:Lead"}, "", "click%3Aabc%3ALead"},
		// An automatic event is not part of the key: a status update that changes the value stays one transaction.
		{Postback{ClickID: "abc", EventName: "Purchase", EventSource: EventSourceAutomatic}, "click:abc", "click:abc:conversion"},
		{Postback{RefID: "r1", EventName: "Purchase"}, "ref:r1", "ref:r1:Purchase"},
		{Postback{Email: "John@Example.COM", EventName: "Lead"}, "email:john@example.com", "email:john@example.com:Lead"},
		{Postback{VisitorID: "v", PageID: "p", EventName: "Lead"}, "visitor:v:p", "visitor:v:p:Lead"},
		// Separators inside values are escaped, so parts never run together.
		{Postback{VisitorID: "a:b", EventName: "Lead"}, "visitor:a%3Ab:", "visitor:a%3Ab::Lead"},
		{Postback{VisitorID: "a", PageID: "b:", EventName: "Lead"}, "visitor:a:b%3A", "visitor:a:b%3A:Lead"},
		{Postback{ClickID: "a b%c#d", EventName: "My Event"}, "click:a%20b%25c%23d", "click:a%20b%25c%23d:My%20Event"},
		{Postback{ClickID: "x\ny\x7f", EventName: "Lead"}, "click:x%0Ay%7F", "click:x%0Ay%7F:Lead"},
		{Postback{ClickID: "café", EventName: "Lead"}, "click:café", "click:café:Lead"},
		{Postback{}, "", ""},
	}
	for _, c := range cases {
		if got := c.pb.MatchKey(); got != c.match {
			t.Errorf("MatchKey(%+v) = %q, want %q", c.pb, got, c.match)
		}
		if got := c.pb.TransactionKey(); got != c.tx {
			t.Errorf("TransactionKey(%+v) = %q, want %q", c.pb, got, c.tx)
		}
	}
	long := Postback{ClickID: strings.Repeat("x", 500), TransactionID: strings.Repeat("\x01", 100), EventName: "Lead"}
	mk, tk := long.MatchKey(), long.TransactionKey()
	if !strings.HasPrefix(mk, "click#") || len(mk) != len("click#")+64 || !strings.HasPrefix(tk, "tx#") {
		t.Errorf("long keys not hashed: %q %q", mk, tk)
	}
	other := Postback{ClickID: strings.Repeat("x", 499) + "y"}
	if other.MatchKey() == mk {
		t.Error("different long ids hash alike")
	}
	for _, k := range []string{mk, tk, cases[8].pb.MatchKey()} {
		assertSafeKey(t, k)
	}
}

func assertSafeKey(t *testing.T, k string) {
	t.Helper()
	if len(k) > maxKeyLen || !utf8.ValidString(k) {
		t.Errorf("key too long or not UTF-8: %q", k)
	}
	for _, r := range k {
		if !unicode.IsPrint(r) || r == ' ' {
			t.Errorf("key has unsafe rune %q: %q", r, k)
		}
	}
}

// The canonical postback travels through JSON (Temporal payloads, jsonb):
// every field survives, money stays a decimal string.
func TestJSONRoundTrip(t *testing.T) {
	pb := jsonBody(t, seed001JSON)
	pb.DisablePostbacks = true
	back := roundTrip(t, pb)
	if !back.Value.Equal(*pb.Value) || back.Timestamp != nil || len(back.Items) != 2 ||
		!back.Items[1].Price.Equal(*pb.Items[1].Price) || back.Traits != pb.Traits ||
		!equalParams(back.Params, pb.Params) || !equalParams(back.Passthrough, pb.Passthrough) ||
		back.TransactionKey() != pb.TransactionKey() || !back.DisablePostbacks {
		t.Errorf("round trip lost data:\n%+v\n%+v", pb, back)
	}
	raw, _ := jsonMarshal(pb)
	if !strings.Contains(raw, `"value":"120"`) || !strings.Contains(raw, `"price":"20"`) {
		t.Errorf("money must marshal as decimal strings: %s", raw)
	}
	pb = q(t, "hit=h&rev=0.1&timestamp=2020-05-19T12:46:16.123456789Z&status=hold")
	back = roundTrip(t, pb)
	if !back.Timestamp.Equal(*pb.Timestamp) || back.Status != StatusPending || back.RawStatus != "hold" {
		t.Errorf("round trip: %+v", back)
	}
}

func TestKeyedTransactionKeyHidesEmail(t *testing.T) {
	secret := []byte("installation secret")
	p := &Postback{Email: "Jane.Doe@Example.com", EventName: "Lead", EventSource: EventSourceEventName}
	key := p.KeyedTransactionKey(secret)
	if strings.Contains(strings.ToLower(key), "jane") || strings.Contains(strings.ToLower(key), "example") {
		t.Fatalf("key %q shows the email", key)
	}
	if !strings.HasPrefix(key, "email:h") || !strings.HasSuffix(key, ":Lead") {
		t.Fatalf("key %q, want email:h<hmac>:Lead", key)
	}
	// The same person (any case) keeps one key; another secret or person gives another.
	same := &Postback{Email: "jane.doe@example.com", EventName: "Lead", EventSource: EventSourceEventName}
	if same.KeyedTransactionKey(secret) != key {
		t.Fatal("case changed the key")
	}
	if p.KeyedTransactionKey([]byte("other")) == key {
		t.Fatal("the secret does not matter")
	}
	other := &Postback{Email: "john@example.com", EventName: "Lead", EventSource: EventSourceEventName}
	if other.KeyedTransactionKey(secret) == key {
		t.Fatal("two people share a key")
	}
	// Keys that hold no personal data are unchanged.
	for _, q := range []*Postback{{TransactionID: "T1", Email: "a@b.c"}, {ClickID: "C1", Email: "a@b.c", EventName: "Lead"}} {
		if q.KeyedTransactionKey(secret) != q.TransactionKey() {
			t.Fatalf("%+v: keyed %q != %q", q, q.KeyedTransactionKey(secret), q.TransactionKey())
		}
	}
}
