package admin

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/convrelay/convrelay/internal/store"
)

// People sign in to the console with an email and a password. Passwords are
// hashed with bcrypt (golang.org/x/crypto/bcrypt, already in the module graph,
// self-describing hashes with their cost, and a 72-byte input limit we check);
// argon2id would need its parameters stored and tuned beside each hash.
const (
	// InviteTTL is how long an invitation link works.
	InviteTTL = 7 * 24 * time.Hour
	// SessionTTL is how long a console session lasts.
	SessionTTL = 12 * time.Hour
	// minPassword and maxPassword bound a password (bcrypt reads 72 bytes at most).
	minPassword = 10
	maxPassword = 72
)

// InviteRequest invites a person: email, role, and the campaigns of a buyer or viewer.
type InviteRequest struct {
	Email     string  `json:"email"`
	Role      string  `json:"role"`
	Campaigns []int64 `json:"campaign_ids"`
}

// Invitation is an invited user and the one-time token of their link; Mailed
// says the link was also mailed to them (CONVRELAY_SMTP_* set and the server
// took the mail).
type Invitation struct {
	User   store.User
	Token  string
	Mailed bool
}

// InviteLink is the link an invited person opens to choose a password.
func InviteLink(publicURL, token string) string {
	return strings.TrimRight(publicURL, "/") + "/console/invite/" + token
}

// InviteUser invites a person (owners only). The link is shown to the owner (the
// console, the API answer, the CLI): no mail server is needed; with one
// configured (CONVRELAY_SMTP_*) it is mailed too.
func (s *Service) InviteUser(ctx context.Context, account string, req InviteRequest) (Invitation, error) {
	if _, err := s.authorize(ctx, account, ActManageUsers); err != nil {
		return Invitation{}, err
	}
	addr, err := mail.ParseAddress(strings.TrimSpace(req.Email))
	if err != nil || addr.Name != "" {
		return Invitation{}, Invalid("email", "email must be an address like ann@example.com")
	}
	if !ValidRole(req.Role) {
		return Invitation{}, Invalid("role", "role must be owner, admin, buyer or viewer")
	}
	if len(req.Campaigns) > 0 && req.Role != RoleBuyer && req.Role != RoleViewer {
		return Invitation{}, Invalid("campaign_ids", "only a buyer or viewer is limited to campaigns")
	}
	for _, id := range req.Campaigns {
		if _, err := s.Store.GetCampaign(ctx, account, id); err != nil {
			return Invitation{}, fromStore("campaign", err)
		}
	}
	u, token, err := s.Store.InviteUser(ctx, store.User{AccountID: account, Email: addr.Address, Role: req.Role, Campaigns: req.Campaigns}, InviteTTL)
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return Invitation{}, refuse(KindConflict, "a user with this email already exists in the account")
		}
		return Invitation{}, fromStore("invite user", err)
	}
	s.Record(ctx, account, AuditUserInvite, target("user", u.ID), nil, u)
	return Invitation{User: u, Token: token, Mailed: s.mailInvite(ctx, u, token)}, nil
}

// ListUsers lists the account's people.
func (s *Service) ListUsers(ctx context.Context, account string) ([]store.User, error) {
	if _, err := s.authorize(ctx, account, ActReadUsers); err != nil {
		return nil, err
	}
	out, err := s.Store.ListUsers(ctx, account)
	return out, fromStore("users", err)
}

// RevokeUser revokes a person: their sessions and keys stop working at once.
func (s *Service) RevokeUser(ctx context.Context, account string, id int64) error {
	p, err := s.authorize(ctx, account, ActManageUsers)
	if err != nil {
		return err
	}
	if p.UserID == id {
		return refuse(KindConflict, "you cannot revoke yourself; ask another owner")
	}
	before, err := s.Store.GetUser(ctx, account, id)
	if err != nil {
		return fromStore("user", err)
	}
	if err := s.Store.RevokeUser(ctx, account, id); err != nil {
		return fromStore("user", err)
	}
	s.Record(ctx, account, AuditUserRevoke, target("user", id), before, map[string]any{"revoked": true})
	return nil
}

// AcceptInvite sets the password of an invited person and signs them in.
func (s *Service) AcceptInvite(ctx context.Context, token, password string) (Principal, string, error) {
	if len(password) < minPassword || len(password) > maxPassword {
		return Principal{}, "", Invalid("password", "a password has 10 to 72 characters")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return Principal{}, "", &Error{Kind: KindInternal, Message: "password: internal error", Cause: err}
	}
	u, err := s.Store.AcceptInvite(ctx, token, string(hash))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Principal{}, "", refuse(KindNotFound, "this invitation link is not valid any more: ask for a new one")
		}
		return Principal{}, "", fromStore("invitation", err)
	}
	p := UserPrincipal(u)
	s.Record(WithPrincipal(ctx, p), u.AccountID, AuditUserAccept, target("user", u.ID), nil, map[string]any{"accepted": true})
	id, err := s.Store.CreateSession(ctx, u.ID, SessionTTL)
	if err != nil {
		return p, "", fromStore("session", err)
	}
	return p, id, nil
}

// dummyHash keeps a sign-in with an unknown email as slow as one with a known email.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("convrelay-not-a-password"), bcrypt.DefaultCost)

// SignIn checks an email and password and starts a session; the answer to a
// wrong email and a wrong password is the same. For a person with a second
// factor it starts no session: its error is a *SecondFactor (NeedsSecondFactor)
// whose challenge SignInCode takes with the code.
func (s *Service) SignIn(ctx context.Context, email, password string) (Principal, string, error) {
	users, err := s.Store.UsersForSignIn(ctx, strings.TrimSpace(email))
	if err != nil {
		return Principal{}, "", fromStore("sign in", err)
	}
	if len(users) == 0 {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
	}
	for _, u := range users {
		if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash()), []byte(password)) == nil {
			if u.TwoFactor {
				return UserPrincipal(u), "", s.challenge(ctx, u)
			}
			id, err := s.Store.CreateSession(ctx, u.ID, SessionTTL)
			if err != nil {
				return Principal{}, "", fromStore("session", err)
			}
			return UserPrincipal(u), id, nil
		}
	}
	return Principal{}, "", refuse(KindForbidden, "that email and password do not match")
}

// SessionPrincipal is who a live session is; a revoked user's or an expired
// session is not found.
func (s *Service) SessionPrincipal(ctx context.Context, sessionID string) (Principal, error) {
	u, err := s.Store.SessionUser(ctx, sessionID)
	if err != nil {
		return Principal{}, fromStore("session", err)
	}
	return UserPrincipal(u), nil
}

// SignOut ends one session.
func (s *Service) SignOut(ctx context.Context, sessionID string) error {
	return fromStore("session", s.Store.EndSession(ctx, sessionID))
}

// SignOutEverywhere ends every session of the signed-in person.
func (s *Service) SignOutEverywhere(ctx context.Context) (int64, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok || p.UserID == 0 {
		return 0, refuse(KindInvalid, "only a person signed in with an email has sessions")
	}
	n, err := s.Store.EndSessions(ctx, p.UserID)
	if err != nil {
		return 0, fromStore("sessions", err)
	}
	s.Record(ctx, p.Account, AuditSignOutEverywhere, target("user", p.UserID), nil, map[string]any{"sessions_ended": n})
	return n, nil
}

// UserPrincipal is who a user is.
func UserPrincipal(u store.User) Principal {
	return Principal{Account: u.AccountID, UserID: u.ID, Email: u.Email, Role: u.Role, Campaigns: u.Campaigns}
}
