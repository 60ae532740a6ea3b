package postback

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Tests written against the mutants a gremlins run left alive (make mutate):
// each pins a boundary or branch no other test reached.

// A %XX escape is decoded for every hex digit, including the range ends 0-9,
// a-f and A-F (isHex's bounds).
func TestPercentEscapesAtHexDigitBounds(t *testing.T) {
	p := q(t, "click_id=a%39%3ab%3Ac%30%6f&transaction_id=T%46")
	if p.ClickID != "a9:b:c0o" || p.TransactionID != "TF" {
		t.Fatalf("click_id %q, transaction_id %q; want a9:b:c0o and TF", p.ClickID, p.TransactionID)
	}
}

// A NUL byte is replaced wherever it is, also as the very first byte
// (PostgreSQL's jsonb refuses NUL).
func TestNULReplacedAtStart(t *testing.T) {
	p := q(t, "click_id=%00abc")
	if p.ClickID != "\uFFFDabc" {
		t.Fatalf("click_id %q, want U+FFFD then abc", p.ClickID)
	}
}

// Unix timestamps: nine fractional digits are nanoseconds; milliseconds keep
// their fraction as microseconds.
func TestUnixTimestampFractions(t *testing.T) {
	cases := map[string]time.Time{
		"1700000000.123456789": time.Unix(1700000000, 123456789).UTC(),
		"1700000000123.5":      time.UnixMilli(1700000000123).Add(500 * time.Microsecond).UTC(),
	}
	for in, want := range cases {
		p := q(t, "click_id=a&timestamp="+in)
		if p.Timestamp == nil || !p.Timestamp.Equal(want) {
			t.Errorf("timestamp %s = %v, want %v", in, p.Timestamp, want)
		}
	}
}

// A transaction id or match key of exactly the maximum length is kept as
// written; only a longer one is replaced by its digest.
func TestKeyOfExactlyMaxLengthKept(t *testing.T) {
	tx := strings.Repeat("t", maxKeyLen)
	if got := q(t, "click_id=a&transaction_id="+tx).TransactionKey(); got != tx {
		t.Fatalf("transaction key of a %d-byte id = %q, want the id itself", maxKeyLen, got)
	}
	click := strings.Repeat("c", maxKeyLen-len("click::conversion"))
	want := "click:" + click + ":conversion"
	if got := q(t, "click_id="+click).TransactionKey(); got != want || len(got) != maxKeyLen {
		t.Fatalf("match key = %q (%d bytes), want %q", got, len(got), want)
	}
	if got := q(t, "click_id="+click+"x").TransactionKey(); !strings.HasPrefix(got, "click#") {
		t.Fatalf("match key one byte over = %q, want click#<digest>", got)
	}
}

// JSON numbers may carry a three-digit exponent (1.5E+002 is 150).
func TestThreeDigitExponent(t *testing.T) {
	p := q(t, "click_id=a&commission=1.5E%2B002")
	if p.Value == nil || p.Value.String() != "150" {
		t.Fatalf("value = %v, want 150", p.Value)
	}
}

// An error echoing exactly 64 bytes of input shows them all, unshortened.
func TestErrorEchoOfSixtyFourBytes(t *testing.T) {
	raw := strings.Repeat("X", 64)
	_, err := Parse(Request{RawQuery: "click_id=a&currency=" + raw}, Integration{})
	var perr *Error
	if !errors.As(err, &perr) || !strings.Contains(perr.Message, `"`+raw+`"`) {
		t.Fatalf("error = %v, want the 64-byte currency echoed whole", err)
	}
}

// A plain-text body whose first pair has no name is not read as a query.
func TestPlainBodyWithNamelessFirstPairIgnored(t *testing.T) {
	_, err := Parse(Request{Body: []byte("=x&click_id=a"), ContentType: "text/plain"}, Integration{})
	var perr *Error
	if !errors.As(err, &perr) || perr.Message != "Missing click_id, ref_id and email" {
		t.Fatalf("error = %v, want the body ignored (missing click_id)", err)
	}
}

// A broken multipart body is reported without an offset (none is known).
func TestMalformedMultipartHasNoOffset(t *testing.T) {
	_, err := Parse(Request{Body: []byte("--X\r\nbad"), ContentType: "multipart/form-data; boundary=X"}, Integration{})
	if !errors.Is(err, ErrMalformedBody) || strings.Contains(err.Error(), "offset") {
		t.Fatalf("error = %v, want a malformed multipart body without an offset", err)
	}
}

// An integration's own field map beats its preset's mapping of the same field.
func TestCustomFieldMapBeatsPreset(t *testing.T) {
	p := mustParse(t, Request{RawQuery: "hit=a&rev=1&payout=2"},
		Integration{Preset: "funnelflux", FieldMap: map[string]string{"payout": "commission"}})
	if p.Value == nil || p.Value.String() != "2" {
		t.Fatalf("value = %v, want 2 from the integration's payout mapping", p.Value)
	}
}

// Items sent in both the query and the body: the query wins, as for every field.
func TestItemsFromQueryWinOverBody(t *testing.T) {
	p := mustParse(t, Request{RawQuery: `click_id=a&items=[{"id":"q"}]`, Body: []byte(`{"items":[{"id":"b"}]}`),
		ContentType: "application/json"}, Integration{})
	if len(p.Items) != 1 || p.Items[0].ID != "q" {
		t.Fatalf("items = %+v, want the query's", p.Items)
	}
}

// A malformed items array names the offset of the offending byte (the ']' at
// index 10), as the JSON body's errors do.
func TestMalformedItemsOffset(t *testing.T) {
	_, err := Parse(Request{RawQuery: `click_id=a&items=[{"id":1},]`}, Integration{})
	var perr *Error
	if !errors.As(err, &perr) || !strings.Contains(perr.Message, "(offset 10)") {
		t.Fatalf("error = %v, want the offset of the stray ']' (10)", err)
	}
}
