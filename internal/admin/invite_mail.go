package admin

import (
	"context"
	"strings"

	"github.com/convrelay/convrelay/internal/mailer"
	"github.com/convrelay/convrelay/internal/store"
)

// mailInvite mails the invitation link when a mail server is configured and
// says whether the server took it. A failure leaves the invitation as it is
// (its link is still shown to the owner) and is logged without the address.
func (s *Service) mailInvite(ctx context.Context, u store.User, token string) bool {
	if !mailer.Enabled(s.Config.SMTP) {
		return false
	}
	link := InviteLink(s.Config.PublicURL, token)
	err := mailer.Send(ctx, s.Config.SMTP, mailer.Message{To: u.Email,
		Subject: "You are invited to Convrelay (account " + u.AccountID + ")",
		Body: "You are invited to the Convrelay account " + u.AccountID + " as " + u.Role + ".\n\n" +
			"Open this link within 7 days to choose your password:\n\n" + link + "\n\n" +
			"The link works once. If you did not expect this mail, ignore it.\n"})
	if err != nil {
		// A server's answer may quote the address: it is cut out of the log.
		msg := strings.ReplaceAll(strings.ReplaceAll(err.Error(), u.Email, "<recipient>"), token, "<token>")
		s.Logger.Warn("invitation mail not sent; the link is shown instead", "account_id", u.AccountID, "user_id", u.ID, "error", msg)
		return false
	}
	return true
}
