package postback

import (
	"encoding/base64"
	"testing"
)

// tcfString builds a TCF v2 core string (IAB TCF v2 layout) with the given
// purposes consented; version 1 gives a v1-shaped string.
func tcfString(version int, purposes ...int) string {
	bits := make([]bool, tcfMinBits+16+1+8) // core fields, vendor section header, a few vendor bits
	put := func(at, width, v int) {
		for i := 0; i < width; i++ {
			bits[at+i] = v&(1<<(width-1-i)) != 0
		}
	}
	put(0, 6, version)
	for _, p := range purposes {
		bits[tcfPurposesConsentBit+p-1] = true
	}
	raw := make([]byte, (len(bits)+7)/8)
	for i, b := range bits {
		if b {
			raw[i/8] |= 0x80 >> (i % 8)
		}
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

func TestConsentForms(t *testing.T) {
	all := tcfString(2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	cases := []struct {
		name, query string
		want        *Consent
	}{
		{"none", "hit=h", nil},
		{"explicit granted", "hit=h&consent_ad_user_data=granted&consent_ad_personalization=GRANTED",
			&Consent{AdUserData: "granted", AdPersonalization: "granted"}},
		{"explicit denied words", "hit=h&consent_ad_user_data=0&consent_ad_personalization=CONSENT_DENIED",
			&Consent{AdUserData: "denied", AdPersonalization: "denied"}},
		{"one of two", "hit=h&consent_ad_user_data=denied", &Consent{AdUserData: "denied"}},
		{"unreadable word is no signal", "hit=h&consent_ad_user_data=maybe", nil},
		{"unfilled macro is no signal", "hit=h&consent_ad_user_data={consent}", nil},
		{"ldu=1", "hit=h&ldu=1", &Consent{AdUserData: "denied"}},
		{"ldu=0 is no signal", "hit=h&ldu=0", nil},
		{"ldu beats explicit granted", "hit=h&ldu=1&consent_ad_user_data=granted&consent_ad_personalization=granted",
			&Consent{AdUserData: "denied", AdPersonalization: "granted"}},
		{"gdpr=1 TCF all purposes", "hit=h&gdpr=1&gdpr_consent=" + all,
			&Consent{AdUserData: "granted", AdPersonalization: "granted"}},
		{"TCF without purpose 7", "hit=h&gdpr=1&gdpr_consent=" + tcfString(2, 1, 3, 4),
			&Consent{AdUserData: "denied", AdPersonalization: "granted"}},
		{"TCF without purpose 4", "hit=h&gdpr=1&gdpr_consent=" + tcfString(2, 1, 3, 7),
			&Consent{AdUserData: "granted", AdPersonalization: "denied"}},
		{"TCF nothing consented", "hit=h&gdpr=1&gdpr_consent=" + tcfString(2),
			&Consent{AdUserData: "denied", AdPersonalization: "denied"}},
		{"TCF with segments", "hit=h&gdpr=1&gdpr_consent=" + all + ".IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw",
			&Consent{AdUserData: "granted", AdPersonalization: "granted"}},
		{"gdpr=1 without a string is no signal", "hit=h&gdpr=1", nil},
		{"gdpr=1 with garbage is no signal", "hit=h&gdpr=1&gdpr_consent=not*base64", nil},
		{"TCF v1 is no signal", "hit=h&gdpr=1&gdpr_consent=" + tcfString(1, 1, 2, 3, 4, 5, 7), nil},
		{"too short is no signal", "hit=h&gdpr=1&gdpr_consent=CPc", nil},
		{"gdpr=0 ignores the string", "hit=h&gdpr=0&gdpr_consent=" + all, nil},
		{"explicit beats TCF", "hit=h&gdpr=1&gdpr_consent=" + all + "&consent_ad_personalization=denied",
			&Consent{AdUserData: "granted", AdPersonalization: "denied"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pb := q(t, c.query)
			switch {
			case c.want == nil && pb.Consent != nil:
				t.Errorf("consent %+v, want none", *pb.Consent)
			case c.want != nil && pb.Consent == nil:
				t.Errorf("no consent, want %+v", *c.want)
			case c.want != nil && *pb.Consent != *c.want:
				t.Errorf("consent %+v, want %+v", *pb.Consent, *c.want)
			}
		})
	}
}

func TestConsentInJSONBody(t *testing.T) {
	pb := jsonBody(t, `{"click_id":"c","gdpr":1,"ldu":true,"consent_ad_personalization":"denied"}`)
	if pb.Consent == nil || *pb.Consent != (Consent{AdUserData: "denied", AdPersonalization: "denied"}) {
		t.Errorf("JSON consent %+v", pb.Consent)
	}
}

func TestGAClientIDParameter(t *testing.T) {
	if pb := q(t, "hit=h&ga_client_id=GA1.1.123.456&client_id=9.9"); pb.GAClientID != "GA1.1.123.456" {
		t.Errorf("ga_client_id %q", pb.GAClientID)
	}
	if pb := q(t, "hit=h&client_id=111.222"); pb.GAClientID != "111.222" || pb.ClickID != "h" {
		t.Errorf("client_id %q, click %q", pb.GAClientID, pb.ClickID)
	}
}
