package admin

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/convrelay/convrelay/internal/store"
)

// A person may add a TOTP second factor (RFC 6238: 6 digits, 30 seconds, SHA-1,
// what every authenticator app reads) with github.com/pquerna/otp. The secret
// is sealed at rest (store, internal/secrets); a code is accepted once (the
// last step used is kept) and one step early or late is tolerated for clocks.
const (
	totpIssuer = "Convrelay"
	totpPeriod = 30
	// ChallengeTTL is how long a sign-in waits for its code after the password.
	ChallengeTTL = 5 * time.Minute
	// challengeAttempts is how many codes one sign-in may try.
	challengeAttempts = 5
)

// Audit actions of the second factor.
const (
	AuditTOTPEnable  = "user.totp_enable"
	AuditTOTPDisable = "user.totp_disable"
)

// SecondFactor is SignIn's answer for a person with TOTP on: the password was
// right, and Challenge (given back with the code to SignInCode) awaits the code.
type SecondFactor struct{ Challenge string }

func (e *SecondFactor) Error() string { return "a second factor code is needed" }

// NeedsSecondFactor reads SignIn's error: the challenge when a code is awaited.
func NeedsSecondFactor(err error) (string, bool) {
	var sf *SecondFactor
	if errors.As(err, &sf) {
		return sf.Challenge, true
	}
	return "", false
}

// TOTPEnrolment is a new secret to add to an authenticator app: as text and as
// an otpauth:// URL (what a QR code would hold).
type TOTPEnrolment struct {
	Secret string
	URL    string
}

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// matchStep returns the time step code is valid for (now, one step before or
// after), or 0.
func matchStep(secret, code string, now time.Time) int64 {
	if len(code) != 6 {
		return 0
	}
	for _, d := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(d*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / totpPeriod
		}
	}
	return 0
}

// selfUser is the signed-in person (a key is not a person).
func selfUser(ctx context.Context) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok || p.UserID == 0 || p.KeyID != 0 {
		return p, refuse(KindInvalid, "only a person signed in with an email has a second factor")
	}
	return p, nil
}

// TOTPEnabled says whether the signed-in person has a second factor on.
func (s *Service) TOTPEnabled(ctx context.Context) (bool, error) {
	p, err := selfUser(ctx)
	if err != nil {
		return false, err
	}
	t, err := s.Store.UserTOTP(ctx, p.UserID)
	if err != nil {
		return false, fromStore("second factor", err)
	}
	return t.Enabled, nil
}

// BeginTOTP makes a new secret for the signed-in person, kept sealed and off
// until ConfirmTOTP reads a code from it.
func (s *Service) BeginTOTP(ctx context.Context) (TOTPEnrolment, error) {
	p, err := selfUser(ctx)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: p.Email, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPEnrolment{}, &Error{Kind: KindInternal, Message: "second factor: internal error", Cause: err}
	}
	if err := s.Store.SetPendingTOTP(ctx, p.UserID, key.Secret()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return TOTPEnrolment{}, refuse(KindConflict, "a second factor is already on: turn it off first")
		}
		return TOTPEnrolment{}, fromStore("second factor", err)
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// ConfirmTOTP turns the second factor on with a code from the new secret.
func (s *Service) ConfirmTOTP(ctx context.Context, code string) error {
	p, err := selfUser(ctx)
	if err != nil {
		return err
	}
	t, err := s.Store.UserTOTP(ctx, p.UserID)
	if err != nil {
		return fromStore("second factor", err)
	}
	if t.Enabled {
		return refuse(KindConflict, "a second factor is already on")
	}
	if t.Secret == "" {
		return refuse(KindInvalid, "start the set-up first")
	}
	step := matchStep(t.Secret, code, time.Now())
	if step == 0 || s.Store.AcceptTOTPStep(ctx, p.UserID, step, true) != nil {
		return Invalid("code", "that code is not right: type the 6 digits your app shows now")
	}
	s.Record(ctx, p.Account, AuditTOTPEnable, target("user", p.UserID), nil, map[string]any{"two_factor": true})
	return nil
}

// DisableTOTP turns a person's second factor off: their own, or anyone's of
// the account for an owner.
func (s *Service) DisableTOTP(ctx context.Context, account string, userID int64) error {
	p, ok := PrincipalFrom(ctx)
	if !ok || p.Account != account || p.UserID != userID || p.KeyID != 0 {
		if _, err := s.authorize(ctx, account, ActManageUsers); err != nil {
			return err
		}
	}
	if err := s.Store.DisableTOTP(ctx, account, userID); err != nil {
		return fromStore("user", err)
	}
	s.Record(ctx, account, AuditTOTPDisable, target("user", userID), map[string]any{"two_factor": true}, map[string]any{"two_factor": false})
	return nil
}

// challenge starts the code step of a sign-in whose password was right.
func (s *Service) challenge(ctx context.Context, u store.User) error {
	token, err := s.Store.CreateMFAChallenge(ctx, u.ID, ChallengeTTL)
	if err != nil {
		return fromStore("sign in", err)
	}
	return &SecondFactor{Challenge: token}
}

// SignInCode ends a sign-in with its second factor: the challenge SignIn gave
// and a code; a few wrong codes end the challenge (sign in again).
func (s *Service) SignInCode(ctx context.Context, challenge, code string) (Principal, string, error) {
	u, err := s.Store.MFAChallengeUser(ctx, challenge, challengeAttempts)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Principal{}, "", refuse(KindNotFound, "this sign-in ended: sign in again")
		}
		return Principal{}, "", fromStore("sign in", err)
	}
	t, err := s.Store.UserTOTP(ctx, u.ID)
	if err != nil {
		return Principal{}, "", fromStore("sign in", err)
	}
	step := int64(0)
	if t.Enabled {
		step = matchStep(t.Secret, code, time.Now())
	}
	if step == 0 || s.Store.AcceptTOTPStep(ctx, u.ID, step, false) != nil {
		return Principal{}, "", refuse(KindForbidden, "that code is not right")
	}
	if err := s.Store.EndMFAChallenge(ctx, challenge); err != nil {
		return Principal{}, "", fromStore("sign in", err)
	}
	id, err := s.Store.CreateSession(ctx, u.ID, SessionTTL)
	if err != nil {
		return Principal{}, "", fromStore("session", err)
	}
	return UserPrincipal(u), id, nil
}
