package config

import (
	"strings"
	"testing"
)

// CONVRELAY_SMTP_* is optional; when the address is set it must be host:port
// and a sender address must be given.
func TestSMTPSettings(t *testing.T) {
	c, err := fromLookup(lookupFrom(nil))
	if err != nil || c.SMTP.Addr != "" {
		t.Fatalf("default: %+v %v, want no mail server", c.SMTP, err)
	}
	c, err = fromLookup(lookupFrom(map[string]string{"CONVRELAY_SMTP_ADDR": "mail.example.com:587",
		"CONVRELAY_SMTP_FROM": "Convrelay <cr@example.com>", "CONVRELAY_SMTP_USERNAME": "u", "CONVRELAY_SMTP_PASSWORD": "p"}))
	if err != nil || c.SMTP != (SMTP{Addr: "mail.example.com:587", From: "Convrelay <cr@example.com>", Username: "u", Password: "p"}) {
		t.Fatalf("set: %+v %v", c.SMTP, err)
	}
	for _, env := range []map[string]string{
		{"CONVRELAY_SMTP_ADDR": "mail.example.com", "CONVRELAY_SMTP_FROM": "cr@example.com"},
		{"CONVRELAY_SMTP_ADDR": "mail.example.com:25"},
	} {
		if _, err := fromLookup(lookupFrom(env)); err == nil || !strings.Contains(err.Error(), "CONVRELAY_SMTP_") {
			t.Errorf("%v: %v, want a CONVRELAY_SMTP_ error", env, err)
		}
	}
}
