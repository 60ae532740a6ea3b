package api_test

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts Debian's headless Chromium (skipping the test without it)
// and returns a context for its first tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	chrome := "/usr/bin/chromium"
	if _, err := os.Stat(chrome); err != nil {
		t.Skip("no Chromium: install the Debian package chromium")
	}
	root, stop := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(stop)
	actx, cancelAlloc := chromedp.NewExecAllocator(root, chromedp.ExecPath(chrome), chromedp.Flag("headless", "new"),
		chromedp.NoSandbox, chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("no-first-run", true))
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// pageText is the text of the element sel of the current page.
func pageText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// open navigates to url and returns the HTTP status of the page.
func open(t *testing.T, ctx context.Context, url string) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return resp.Status
}

// In a real headless Chromium (Debian's chromium), two people in two browser
// contexts (two cookie jars): the owner invites a buyer scoped to one campaign
// from the Users page; the buyer joins by the link, signs out everywhere and
// signs in with the form, sees that campaign's reports and conversions with the
// email masked, gets 403 for another campaign's conversion, for the postback
// log (and its raw export) and for the settings; the owner sees the buyer's
// actions in the audit log and revokes them, and the buyer's session ends at once.
func TestConsoleTeamInBrowser(t *testing.T) {
	owner := browser(t)
	h := newHarness(t)
	a := h.createCampaign(`{"name":"alpha","offer_url":"https://offer.example/?c={click_id}"}`)
	b := h.createCampaign(`{"name":"beta","offer_url":"https://offer.example/?c={click_id}"}`)
	inA := strconv.FormatInt(h.personalConversion("TX-A", a), 10)
	inB := strconv.FormatInt(h.personalConversion("TX-B", b), 10)
	code, body := statusOf(t, h, "POST", "/v1/accounts/"+h.account.ID+"/users", `{"email":"owner@example.com","role":"owner"}`, h.keyOf("owner"))
	m := inviteLink.FindStringSubmatch(body)
	if code != 201 || m == nil {
		t.Fatalf("invite the owner: %d %s", code, body)
	}
	base := h.srv.URL + "/console"

	// The owner joins, then invites the buyer from the Users page.
	if err := chromedp.Do(owner,
		chromedp.Navigate(base+"/invite/"+m[1]),
		chromedp.SendKeys(chromedp.CSS("#password"), "owner horse battery"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("header.top")),
		chromedp.Navigate(base+"/users"),
		chromedp.SendKeys(chromedp.CSS("#u-email"), "buyer@example.com"),
		chromedp.SetValue(chromedp.CSS("#u-role"), "buyer"),
		chromedp.SetValue(chromedp.CSS("#u-campaign"), strconv.FormatInt(a, 10)),
		chromedp.Submit(chromedp.CSS("#u-email")),
		chromedp.WaitVisible(chromedp.CSS("#invite-link")),
	); err != nil {
		t.Fatalf("owner invites a buyer: %v", err)
	}
	shown := inviteLink.FindStringSubmatch(pageText(t, owner, "#invite-link"))
	if shown == nil {
		t.Fatal("no invite link on the Users page")
	}
	link := base + "/invite/" + shown[1] // the page shows it under CONVRELAY_PUBLIC_URL
	buyer, cancel := chromedp.NewContext(owner, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(buyer,
		chromedp.Navigate(link),
		chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("header.top")),
		chromedp.Navigate(base+"/users"), // 403 for a buyer: from the menu, Security has the button
		chromedp.Navigate(base+"/security"),
		chromedp.Click(chromedp.CSS(`form[action$="/signout-everywhere"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "buyer@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery"),
		chromedp.Submit(chromedp.CSS("#email")),
		chromedp.WaitVisible(chromedp.CSS("header.top")),
	); err != nil {
		t.Fatalf("buyer joins, signs out everywhere and signs in: %v", err)
	}

	// Reports: the buyer's campaign only.
	open(t, buyer, base+"/reports?group_by=campaign")
	keys, err := chromedp.Run(buyer, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('main table tbody tr td:first-child')).map(td => td.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(keys, strconv.FormatInt(a, 10)) || slices.Contains(keys, strconv.FormatInt(b, 10)) {
		t.Errorf("buyer's report rows by campaign %v, want %d and not %d", keys, a, b)
	}
	// Conversions: the list and the page, the email masked.
	for _, page := range []string{"/conversions", "/conversions/" + inA} {
		if code := open(t, buyer, base+page); code != http.StatusOK {
			t.Errorf("buyer GET %s: %d", page, code)
		}
		text := pageText(t, buyer, "main")
		if !strings.Contains(text, "TX-A") || strings.Contains(text, "TX-B") || strings.Contains(text, "john.doe") {
			t.Errorf("buyer's %s, want TX-A only and no email:\n%s", page, text)
		}
	}
	if text := pageText(t, buyer, "main"); !strings.Contains(text, "j***@example.com") {
		t.Errorf("buyer's conversion page, want the email masked:\n%s", text)
	}
	nav := pageText(t, buyer, "header.top nav")
	for _, hidden := range []string{"Destinations", "Postback log", "Settings", "Import", "Erasure", "Users"} {
		if strings.Contains(nav, hidden) {
			t.Errorf("buyer's menu %q shows %s", nav, hidden)
		}
	}
	for _, page := range []string{"/conversions/" + inB, "/postbacks", "/settings", "/import", "/erasure", "/users", "/audit"} {
		if got := open(t, buyer, base+page); got != http.StatusForbidden {
			t.Errorf("buyer GET %s: %d, want 403", page, got)
		}
		if got := pageText(t, buyer, "body"); strings.Contains(got, "TX-B") || strings.Contains(got, "john.doe") || strings.Contains(got, "Save settings") {
			t.Errorf("buyer opens %s: %q, want a refusal", page, got)
		}
	}
	// The raw postback export is the API's (a key); a buyer's is refused.
	if code, _ := h.as(h.keyOf("buyer", a), "GET", "/postbacks/export"); code != http.StatusForbidden {
		t.Errorf("buyer's raw postback export: %d, want 403", code)
	}

	// The owner reads the buyer's actions in the audit log, then revokes them.
	open(t, owner, base+"/audit?actor=user:buyer@example.com")
	audit := pageText(t, owner, "main")
	for _, want := range []string{"user:buyer@example.com", "user.accept", "user.sign_out_everywhere"} {
		if !strings.Contains(audit, want) {
			t.Errorf("owner's audit log lacks %s:\n%s", want, audit)
		}
	}
	if err := chromedp.Do(owner, chromedp.Navigate(base+"/users"),
		chromedp.Click(chromedp.Search(`//tr[td[text()="buyer@example.com"]]//button[text()="Revoke"]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash"))); err != nil {
		t.Fatalf("owner revokes the buyer: %v", err)
	}
	open(t, buyer, base+"/conversions/"+inA)
	url, err := chromedp.Run(buyer, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(url, "/console/login") {
		t.Errorf("revoked buyer lands on %s, want the sign-in page", url)
	}
}
