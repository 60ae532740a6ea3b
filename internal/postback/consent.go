package postback

import (
	"encoding/base64"
	"strings"
)

// Consent is the user's consent as the postback carried it, in Google
// consent-mode terms: "granted", "denied", or "" (no signal).
type Consent struct {
	AdUserData        string `json:"ad_user_data,omitempty"`
	AdPersonalization string `json:"ad_personalization,omitempty"`
}

// Consent answers.
const (
	ConsentGranted = "granted"
	ConsentDenied  = "denied"
)

// Consent parameters, matched exactly as written.
var (
	nameConsentAdUserData        = []string{"consent_ad_user_data"}
	nameConsentAdPersonalization = []string{"consent_ad_personalization"}
	nameGDPR                     = []string{"gdpr"}
	nameGDPRConsent              = []string{"gdpr_consent"}
	nameLDU                      = []string{"ldu"}
)

// resolveConsent reads the consent forms networks send, strongest first:
//
//   - consent_ad_user_data, consent_ad_personalization: granted/denied (also
//     true/false, 1/0, yes/no, CONSENT_GRANTED/CONSENT_DENIED); anything
//     else is no signal.
//   - gdpr_consent, an IAB TCF v2 string (unless gdpr=0, which says GDPR
//     does not apply): ad_user_data is granted when purposes 1 and 7 are
//     consented, ad_personalization when purposes 3 and 4 are (Google's
//     mapping of TCF to consent mode); a string that does not decode as
//     TCF v2 is no signal, so gdpr=1 without a readable string is no
//     signal too. Vendor consents are not read.
//   - ldu=1 (Meta's Limited Data Use): ad_user_data denied, whatever the
//     other forms said (the most restrictive answer wins).
//
// It returns nil when the postback carried no signal at all.
func resolveConsent(ps *paramSet) *Consent {
	var c Consent
	gdpr := strings.TrimSpace(ps.exact(nameGDPR))
	if gdpr != "0" && !strings.EqualFold(gdpr, "false") {
		if tcf, ok := decodeTCF(ps.exact(nameGDPRConsent)); ok {
			c = tcf
		}
	}
	if v := consentWord(ps.exact(nameConsentAdUserData)); v != "" {
		c.AdUserData = v
	}
	if v := consentWord(ps.exact(nameConsentAdPersonalization)); v != "" {
		c.AdPersonalization = v
	}
	switch strings.ToLower(strings.TrimSpace(ps.exact(nameLDU))) {
	case "1", "true", "yes":
		c.AdUserData = ConsentDenied
	}
	if c == (Consent{}) {
		return nil
	}
	return &c
}

// consentWord reads one consent answer; "" when it is not one.
func consentWord(v string) string {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "granted", "consent_granted", "true", "1", "yes", "y":
		return ConsentGranted
	case "denied", "consent_denied", "false", "0", "no", "n":
		return ConsentDenied
	}
	return ""
}

// TCF v2 core string layout (IAB "Transparency and Consent String with
// Global Vendor & CMP List Formats", v2.x): the purposes-consent bitfield
// starts at bit 152, purpose n at bit 152+n-1.
const (
	tcfPurposesConsentBit = 6 + 36 + 36 + 12 + 12 + 6 + 12 + 12 + 6 + 1 + 1 + 12
	tcfMinBits            = tcfPurposesConsentBit + 24
)

// decodeTCF reads the purpose consents of a TCF v2 string's core segment.
func decodeTCF(s string) (Consent, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Consent{}, false
	}
	core, _, _ := strings.Cut(s, ".")
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(core, "="))
	if err != nil || len(raw)*8 < tcfMinBits {
		return Consent{}, false
	}
	bit := func(i int) bool { return raw[i/8]&(0x80>>(i%8)) != 0 }
	version := 0
	for i := 0; i < 6; i++ {
		version <<= 1
		if bit(i) {
			version |= 1
		}
	}
	if version != 2 {
		return Consent{}, false
	}
	purpose := func(n int) bool { return bit(tcfPurposesConsentBit + n - 1) }
	answer := func(ok bool) string {
		if ok {
			return ConsentGranted
		}
		return ConsentDenied
	}
	return Consent{
		AdUserData:        answer(purpose(1) && purpose(7)),
		AdPersonalization: answer(purpose(3) && purpose(4)),
	}, true
}
