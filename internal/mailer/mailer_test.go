package mailer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/mailer"
	"github.com/convrelay/convrelay/internal/mailer/smtptest"
)

func TestSendThroughAFakeServer(t *testing.T) {
	srv := smtptest.Start(t)
	cfg := config.SMTP{Addr: srv.Addr, From: "convrelay@example.com"}
	err := mailer.Send(context.Background(), cfg, mailer.Message{To: "ann@example.com",
		Subject: "Invitation\r\nBcc: evil@example.com", Body: "line one\nline two"})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Mails()
	if len(got) != 1 || got[0].From != "convrelay@example.com" || len(got[0].To) != 1 || got[0].To[0] != "ann@example.com" {
		t.Fatalf("mails: %+v", got)
	}
	d := got[0].Data
	if !strings.Contains(d, "Subject: Invitation  Bcc: evil@example.com\r\n") || strings.Contains(d, "\r\nBcc:") {
		t.Errorf("a subject must stay one header line:\n%s", d)
	}
	if !strings.Contains(d, "line one\r\nline two\r\n") {
		t.Errorf("body:\n%s", d)
	}
}

func TestSendFailsWithoutServer(t *testing.T) {
	if mailer.Enabled(config.SMTP{}) {
		t.Fatal("enabled without an address")
	}
	if err := mailer.Send(context.Background(), config.SMTP{Addr: "127.0.0.1:1", From: "a@example.com"},
		mailer.Message{To: "b@example.com"}); err == nil {
		t.Fatal("sent to a closed port")
	}
}
