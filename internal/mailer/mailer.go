// Package mailer sends the few mails Convrelay sends (invitation links) with
// net/smtp, through the operator's server (config.SMTP): STARTTLS when the
// server offers it, PLAIN auth when a user name is set (net/smtp refuses it
// over an unencrypted connection except to localhost).
package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"github.com/convrelay/convrelay/internal/config"
)

// Timeout bounds one mail from dial to QUIT.
const Timeout = 20 * time.Second

// Message is one plain-text mail.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Enabled says whether a mail server is configured.
func Enabled(cfg config.SMTP) bool { return cfg.Addr != "" }

// Send delivers m through cfg's server.
func Send(ctx context.Context, cfg config.SMTP, m Message) error {
	if !Enabled(cfg) {
		return errors.New("mailer: no SMTP server configured")
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("mailer: recipient: %w", err)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return fmt.Errorf("mailer: sender: %w", err)
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("mailer: address: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("mailer: dial: %w", err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mailer: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("mailer: hello: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("mailer: starttls: %w", err)
		}
	}
	if cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, host)); err != nil {
			return fmt.Errorf("mailer: auth: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("mailer: from: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("mailer: rcpt: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mailer: data: %w", err)
	}
	if _, err := w.Write(compose(from, to, m, time.Now())); err != nil {
		return fmt.Errorf("mailer: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mailer: data end: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("mailer: quit: %w", err)
	}
	return nil
}

// compose writes the headers and the body with CRLF line ends; header values
// are single lines (no header injection from a subject).
func compose(from, to *mail.Address, m Message, now time.Time) []byte {
	oneLine := strings.NewReplacer("\r", " ", "\n", " ")
	var b strings.Builder
	b.WriteString("From: " + from.String() + "\r\n")
	b.WriteString("To: " + to.String() + "\r\n")
	b.WriteString("Subject: " + mimeWord(oneLine.Replace(m.Subject)) + "\r\n")
	b.WriteString("Date: " + now.UTC().Format(time.RFC1123Z) + "\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	body := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	b.WriteString(body)
	if !strings.HasSuffix(body, "\r\n") {
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

func mimeWord(s string) string { return mime.QEncoding.Encode("utf-8", s) }
