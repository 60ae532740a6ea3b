package api_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var inviteLink = regexp.MustCompile(`/console/invite/([A-Za-z0-9_-]+)`)

// An owner invites a buyer scoped to one campaign from the console; the buyer
// joins by the link, sees that campaign's conversion with the email masked,
// gets 403 for another campaign's conversion, the postback log and the
// destinations; the owner sees the buyer's joining in the audit log, revokes
// them, and the buyer's session ends at once.
func TestConsoleTeamInviteScopeMaskAuditRevoke(t *testing.T) {
	h := newHarness(t)
	a := h.createCampaign(`{"name":"alpha","offer_url":"https://offer.example/?c={click_id}"}`)
	b := h.createCampaign(`{"name":"beta","offer_url":"https://offer.example/?c={click_id}"}`)
	inA := strconv.FormatInt(h.personalConversion("TX-A", a), 10)
	inB := strconv.FormatInt(h.personalConversion("TX-B", b), 10)

	owner := newConsoleClient(t, h)
	owner.post("/console/login", url.Values{"key": {h.keyOf("owner")}})
	code, page, _ := owner.post("/console/users", url.Values{"csrf": {owner.csrf("/console/users")}, "email": {"Buyer@Example.com"},
		"role": {"buyer"}, "campaign_id": {strconv.FormatInt(a, 10)}})
	m := inviteLink.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil {
		t.Fatalf("invite from the console: %d, no link on the page:\n%s", code, page)
	}

	buyer := newConsoleClient(t, h)
	if code, _, _ := buyer.get("/console/invite/" + m[1]); code != http.StatusOK {
		t.Fatalf("invitation page: %d", code)
	}
	if code, page, _ := buyer.post("/console/invite/"+m[1], url.Values{"password": {"short"}}); code != http.StatusBadRequest {
		t.Errorf("a short password: %d %s", code, page)
	}
	if code, _, hdr := buyer.post("/console/invite/"+m[1], url.Values{"password": {"correct horse battery"}}); code != http.StatusSeeOther || hdr.Get("Location") != "/console/" {
		t.Fatalf("accept the invitation: %d %v", code, hdr)
	}
	if code, _, _ := newConsoleClient(t, h).post("/console/invite/"+m[1], url.Values{"password": {"another password"}}); code != http.StatusNotFound {
		t.Errorf("an invitation link used twice: %d, want 404", code)
	}
	// Sign out and in again by email and password.
	buyer.post("/console/logout", url.Values{"csrf": {buyer.csrf("/console/conversions")}})
	if code, _, _ := buyer.get("/console/conversions"); code != http.StatusSeeOther {
		t.Errorf("after sign-out: %d, want the sign-in page", code)
	}
	if code, _, _ := buyer.post("/console/login", url.Values{"email": {"buyer@example.com"}, "password": {"wrong password!"}}); code != http.StatusUnauthorized {
		t.Errorf("a wrong password: %d, want 401", code)
	}
	if code, _, hdr := buyer.post("/console/login", url.Values{"email": {"buyer@example.com"}, "password": {"correct horse battery"}}); code != http.StatusSeeOther {
		t.Fatalf("sign in by email: %d %v", code, hdr)
	}

	code, page, _ = buyer.get("/console/conversions/" + inA)
	text := html.UnescapeString(page)
	if code != http.StatusOK || !strings.Contains(text, "j***@example.com") || strings.Contains(text, "john.doe@example.com") {
		t.Errorf("buyer's conversion of its campaign: %d, want the email masked:\n%s", code, page)
	}
	for _, p := range []string{"/console/conversions/" + inB, "/console/postbacks", "/console/destinations", "/console/audit", "/console/users"} {
		if code, _, _ := buyer.get(p); code != http.StatusForbidden {
			t.Errorf("buyer opens %s: %d, want 403", p, code)
		}
	}
	if code, page, _ := buyer.get("/console/conversions"); code != http.StatusOK || strings.Contains(page, "TX-B") || !strings.Contains(page, "TX-A") {
		t.Errorf("buyer's conversions: %d, want TX-A only", code)
	}
	if code, page, _ := owner.get("/console/conversions/" + inA); code != http.StatusOK || !strings.Contains(html.UnescapeString(page), "john.doe@example.com") {
		t.Errorf("owner's conversion: %d, want the email", code)
	}

	code, page, _ = owner.get("/console/audit")
	text = html.UnescapeString(page)
	if code != http.StatusOK || !strings.Contains(text, "user.invite") || !strings.Contains(text, "user.accept") || !strings.Contains(text, "user:buyer@example.com") {
		t.Errorf("owner's audit log: %d, want the invitation and the buyer joining:\n%s", code, page)
	}

	users, err := h.st.ListUsers(context.Background(), h.account.ID)
	if err != nil || len(users) != 1 {
		t.Fatalf("users: %v %v", users, err)
	}
	if code, _, _ := owner.post("/console/users/"+strconv.FormatInt(users[0].ID, 10)+"/revoke", url.Values{"csrf": {owner.csrf("/console/users")}}); code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", code)
	}
	if code, _, hdr := buyer.get("/console/conversions/" + inA); code != http.StatusSeeOther || !strings.HasSuffix(hdr.Get("Location"), "/console/login") {
		t.Errorf("a revoked user's session: %d %v, want it ended (sign-in page)", code, hdr)
	}
	if code, _, _ := buyer.post("/console/login", url.Values{"email": {"buyer@example.com"}, "password": {"correct horse battery"}}); code != http.StatusUnauthorized {
		t.Errorf("a revoked user signs in: %d, want 401", code)
	}
}

// The keys page lists the keys, makes one (shown once) and revokes it; a buyer
// cannot open it.
func TestConsoleKeysPage(t *testing.T) {
	h := newHarness(t)
	a := h.createCampaign(`{"name":"alpha","offer_url":"https://offer.example/?c={click_id}"}`)
	owner := newConsoleClient(t, h)
	owner.post("/console/login", url.Values{"key": {h.keyOf("owner")}})
	code, page, _ := owner.post("/console/keys", url.Values{"csrf": {owner.csrf("/console/keys")}, "label": {"agency"},
		"role": {"buyer"}, "campaign_id": {strconv.FormatInt(a, 10)}})
	m := regexp.MustCompile(`<code id="new-key">(cr_[A-Za-z0-9_-]+)</code>`).FindStringSubmatch(page)
	if code != http.StatusOK || m == nil {
		t.Fatalf("create a key in the console: %d\n%s", code, page)
	}
	if code, body := h.as(m[1], "GET", "/conversions"); code != http.StatusOK {
		t.Errorf("the new buyer key: %d %s", code, body)
	}
	buyer := newConsoleClient(t, h)
	buyer.post("/console/login", url.Values{"key": {m[1]}})
	if code, _, _ := buyer.get("/console/keys"); code != http.StatusForbidden {
		t.Errorf("buyer opens the keys page: %d, want 403", code)
	}
}
