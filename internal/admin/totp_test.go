package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/mailer/smtptest"
)

// invitedPerson invites and accepts a person, returning their principal's context.
func invitedPerson(t *testing.T, s *admin.Service, account, email, role string) (context.Context, admin.Principal) {
	t.Helper()
	owner := admin.WithPrincipal(context.Background(), admin.Principal{Account: account, Role: admin.RoleOwner, UserID: 999999, Email: "boss@example.com"})
	inv, err := s.InviteUser(owner, account, admin.InviteRequest{Email: email, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := s.AcceptInvite(context.Background(), inv.Token, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	return admin.WithPrincipal(context.Background(), p), p
}

// A person turns TOTP on (the secret is sealed at rest), then sign-in asks for
// a code; a wrong code, a code used twice, and too many tries are refused; the
// owner turns it off.
func TestTOTPSecondFactor(t *testing.T) {
	s, acct := newService(t)
	ctx, p := invitedPerson(t, s, acct.ID, "ann@example.com", admin.RoleAdmin)
	if err := s.ConfirmTOTP(ctx, "123456"); admin.AsError(err).Kind != admin.KindInvalid {
		t.Errorf("confirm before set-up: %v", err)
	}
	e, err := s.BeginTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.URL, "otpauth://totp/Convrelay:ann@example.com?") || !strings.Contains(e.URL, "secret="+e.Secret) {
		t.Errorf("otpauth URL %q", e.URL)
	}
	var sealed string
	if err := s.Store.Pool.QueryRow(ctx, `SELECT totp_secret FROM users WHERE id = $1`, p.UserID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, "v1:") || strings.Contains(sealed, e.Secret) {
		t.Errorf("secret at rest %q, want it sealed", sealed)
	}
	// Off until confirmed: a sign-in needs no code yet.
	if _, id, err := s.SignIn(context.Background(), "ann@example.com", "correct horse battery"); err != nil || id == "" {
		t.Fatalf("sign-in before confirming: %q %v", id, err)
	}
	if err := s.ConfirmTOTP(ctx, "000000"); admin.AsError(err).Kind != admin.KindInvalid {
		t.Errorf("wrong confirmation code: %v", err)
	}
	code, _ := totp.GenerateCode(e.Secret, time.Now())
	if err := s.ConfirmTOTP(ctx, code); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginTOTP(ctx); admin.AsError(err).Kind != admin.KindConflict {
		t.Errorf("a second set-up while on: %v, want conflict", err)
	}

	_, id, err := s.SignIn(context.Background(), "ann@example.com", "correct horse battery")
	challenge, ok := admin.NeedsSecondFactor(err)
	if !ok || id != "" {
		t.Fatalf("sign-in with TOTP on: %q %v, want a challenge", id, err)
	}
	if _, _, err := s.SignInCode(context.Background(), challenge, code); admin.AsError(err).Kind != admin.KindForbidden {
		t.Errorf("the confirmation code again: %v, want refused (used once)", err)
	}
	next, _ := totp.GenerateCode(e.Secret, time.Now().Add(30*time.Second))
	got, sid, err := s.SignInCode(context.Background(), challenge, next)
	if err != nil || sid == "" || got.UserID != p.UserID {
		t.Fatalf("sign-in with the next code: %v %q %v", got, sid, err)
	}
	if _, _, err := s.SignInCode(context.Background(), challenge, next); admin.AsError(err).Kind != admin.KindNotFound {
		t.Errorf("a spent challenge: %v, want not found", err)
	}

	// Five wrong codes end a challenge.
	_, _, err = s.SignIn(context.Background(), "ann@example.com", "correct horse battery")
	challenge, _ = admin.NeedsSecondFactor(err)
	for i := 0; i < 5; i++ {
		_, _, _ = s.SignInCode(context.Background(), challenge, "000000")
	}
	late, _ := totp.GenerateCode(e.Secret, time.Now().Add(-30*time.Second))
	if _, _, err := s.SignInCode(context.Background(), challenge, late); admin.AsError(err).Kind != admin.KindNotFound {
		t.Errorf("after five wrong codes: %v, want the challenge ended", err)
	}

	// A buyer may not turn another person's factor off; the owner may.
	buyer, _ := invitedPerson(t, s, acct.ID, "bob@example.com", admin.RoleBuyer)
	if err := s.DisableTOTP(buyer, acct.ID, p.UserID); admin.AsError(err).Kind != admin.KindForbidden {
		t.Errorf("buyer turns off another's factor: %v, want forbidden", err)
	}
	owner := admin.WithPrincipal(context.Background(), admin.Principal{Account: acct.ID, Role: admin.RoleOwner, UserID: 999999})
	if err := s.DisableTOTP(owner, acct.ID, p.UserID); err != nil {
		t.Fatal(err)
	}
	if _, id, err := s.SignIn(context.Background(), "ann@example.com", "correct horse battery"); err != nil || id == "" {
		t.Errorf("sign-in after the owner turned it off: %q %v", id, err)
	}
	// A key is not a person: no second factor.
	key := admin.WithPrincipal(context.Background(), admin.Principal{Account: acct.ID, Role: admin.RoleOwner, KeyID: 4})
	if _, err := s.BeginTOTP(key); admin.AsError(err).Kind != admin.KindInvalid {
		t.Errorf("a key sets up TOTP: %v", err)
	}
}

// With CONVRELAY_SMTP_* set, the invitation link is also mailed.
func TestInvitationMailed(t *testing.T) {
	s, acct := newService(t)
	srv := smtptest.Start(t)
	s.Config.PublicURL = "https://cr.example"
	s.Config.SMTP.Addr, s.Config.SMTP.From = srv.Addr, "convrelay@example.com"
	owner := admin.WithPrincipal(context.Background(), admin.Principal{Account: acct.ID, Role: admin.RoleOwner})
	inv, err := s.InviteUser(owner, acct.ID, admin.InviteRequest{Email: "cat@example.com", Role: admin.RoleViewer})
	if err != nil || !inv.Mailed {
		t.Fatalf("invite: %+v %v, want mailed", inv, err)
	}
	mails := srv.Mails()
	if len(mails) != 1 || mails[0].To[0] != "cat@example.com" || !strings.Contains(mails[0].Data, admin.InviteLink("https://cr.example", inv.Token)) {
		t.Fatalf("mails %+v, want the link to cat@example.com", mails)
	}
	// A server that is gone: the invitation stands, the link is shown.
	s.Config.SMTP.Addr = "127.0.0.1:1"
	inv, err = s.InviteUser(owner, acct.ID, admin.InviteRequest{Email: "dan@example.com", Role: admin.RoleViewer})
	if err != nil || inv.Mailed || inv.Token == "" {
		t.Fatalf("invite with the mail server down: %+v %v", inv, err)
	}
}
