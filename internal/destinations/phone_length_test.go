package destinations

import (
	"strings"
	"testing"
)

// A phone number has at most 15 digits (E.164). A longer one is a typo or two
// fields run together; hashed, it can only match the wrong person, so no
// platform may receive it. The 11-digit control shows where each platform puts
// a phone, so a missing field cannot pass by accident.
const (
	phone16 = "+1 650 555 1212 12345" // 16 digits
	phone11 = "+1 650 555 1212"
)

// phoneField returns what the platform received as the phone digest, and
// whether it received any.
type phoneField func(t *testing.T, body map[string]any) (any, bool)

func TestSixteenDigitPhoneIsNeverSent(t *testing.T) {
	platforms := []struct {
		name  string
		dest  func(string) Destination
		ok    string
		field phoneField
		want  string // digest of the 11-digit control
	}{
		{"meta", metaDest, `{"events_received":1}`, func(t *testing.T, b map[string]any) (any, bool) {
			v, ok := path(t, b, "data", 0, "user_data").(map[string]any)["ph"]
			return v, ok
		}, sha256Hex("16505551212")},
		{"tiktok", tiktokDest, tiktokOK, func(t *testing.T, b map[string]any) (any, bool) {
			v, ok := path(t, b, "data", 0, "user").(map[string]any)["phone"]
			return v, ok
		}, sha256Hex("+16505551212")},
		{"google_ads", googleDest, `{"results":[{}]}`, func(t *testing.T, b map[string]any) (any, bool) {
			ids, _ := path(t, b, "conversions", 0).(map[string]any)["userIdentifiers"].([]any)
			for _, id := range ids {
				if v, ok := id.(map[string]any)["hashedPhoneNumber"]; ok {
					return v, true
				}
			}
			return nil, false
		}, sha256Hex("+16505551212")},
	}
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			for _, tc := range []struct {
				phone string
				sent  bool
			}{{phone11, true}, {phone16, false}, {"1650555121212345", false}, {"001650555121212345", false}} {
				f := newFake(t, 200, p.ok)
				c := sampleConversion()
				c.User.Phone = tc.phone
				if _, de := send(t, p.dest(f.URL), c); de != nil {
					t.Fatalf("phone %q: delivery failed: %v", tc.phone, de)
				}
				body := f.only(t).Body
				got, ok := p.field(t, decode(t, body))
				switch {
				case tc.sent && !ok:
					t.Fatalf("phone %q: no phone sent, want the digest of 16505551212", tc.phone)
				case tc.sent && !strings.Contains(string(body), p.want):
					t.Fatalf("phone %q: sent %v, want the digest of 16505551212", tc.phone, got)
				case !tc.sent && ok:
					t.Fatalf("phone %q (16 digits) was sent as %v; a number over 15 digits must be left out", tc.phone, got)
				}
			}
		})
	}
}
