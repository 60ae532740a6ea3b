package postback

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

// mustParse parses and fails the test on any error.
func mustParse(t *testing.T, req Request, integ Integration) *Postback {
	t.Helper()
	pb, err := Parse(req, integ)
	if err != nil {
		t.Fatalf("Parse(%q, %q): unexpected error: %v", req.RawQuery, req.Body, err)
	}
	return pb
}

// q parses a bare query string with the custom integration.
func q(t *testing.T, query string) *Postback {
	t.Helper()
	return mustParse(t, Request{RawQuery: query}, Integration{})
}

// jsonBody parses a JSON body with the custom integration.
func jsonBody(t *testing.T, body string) *Postback {
	t.Helper()
	return mustParse(t, Request{Body: []byte(body), ContentType: "application/json"}, Integration{})
}

// validationError asserts err is an *Error and returns it.
func validationError(t *testing.T, err error) *Error {
	t.Helper()
	var ve *Error
	if !errors.As(err, &ve) {
		t.Fatalf("want *Error, got %T: %v", err, err)
	}
	return ve
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// valueIs checks an optional decimal against want ("" means nil).
func valueIs(t *testing.T, what string, got *decimal.Decimal, want string) {
	t.Helper()
	switch {
	case want == "" && got != nil:
		t.Errorf("%s = %s, want none", what, got)
	case want != "" && got == nil:
		t.Errorf("%s = none, want %s", what, want)
	case want != "" && !got.Equal(dec(want)):
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// roundTrip marshals, unmarshals and marshals again; the two encodings must
// match byte for byte.
func roundTrip(t *testing.T, pb *Postback) *Postback {
	t.Helper()
	first, err := json.Marshal(pb)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var back Postback
	if err := json.Unmarshal(first, &back); err != nil {
		t.Fatalf("unmarshal %s: %v", first, err)
	}
	second, err := json.Marshal(&back)
	if err != nil {
		t.Fatalf("re-marshal: %v", err)
	}
	if string(first) != string(second) {
		t.Fatalf("JSON round trip changed the postback:\n first %s\nsecond %s", first, second)
	}
	return &back
}

func jsonMarshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
