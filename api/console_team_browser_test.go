package api_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// In a real headless Chromium (Debian's chromium): an owner invites a buyer
// scoped to one campaign; the buyer opens the one-time link, chooses a
// password, sees that campaign's conversion with the email masked, and is
// refused another campaign's conversion and the settings-like pages.
func TestConsoleTeamInBrowser(t *testing.T) {
	chrome := "/usr/bin/chromium"
	if _, err := os.Stat(chrome); err != nil {
		t.Skip("no Chromium: install the Debian package chromium")
	}
	h := newHarness(t)
	a := h.createCampaign(`{"name":"alpha","offer_url":"https://offer.example/?c={click_id}"}`)
	b := h.createCampaign(`{"name":"beta","offer_url":"https://offer.example/?c={click_id}"}`)
	inA := strconv.FormatInt(h.personalConversion("TX-A", a), 10)
	inB := strconv.FormatInt(h.personalConversion("TX-B", b), 10)
	code, body := statusOf(t, h, "POST", "/v1/accounts/"+h.account.ID+"/users",
		`{"email":"buyer@example.com","role":"buyer","campaign_ids":[`+strconv.FormatInt(a, 10)+`]}`, h.keyOf("owner"))
	m := inviteLink.FindStringSubmatch(body)
	if code != 201 || m == nil {
		t.Fatalf("invite: %d %s", code, body)
	}

	profile, err := os.MkdirTemp("", "convrelay-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile)
	root, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	actx, cancelAlloc := chromedp.NewExecAllocator(root, chromedp.ExecPath(chrome), chromedp.Flag("headless", "new"),
		chromedp.NoSandbox, chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("no-first-run", true))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	base := h.srv.URL + "/console"
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/invite/"+m[1]),
		chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("header.top")),
		chromedp.Navigate(base+"/conversions/"+inA),
	); err != nil {
		t.Fatalf("buyer joins and opens a conversion: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "j***@example.com") || strings.Contains(text, "john.doe@example.com") {
		t.Errorf("buyer's conversion page, want the email masked:\n%s", text)
	}
	nav, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("header.top nav")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(nav, "Destinations") || strings.Contains(nav, "Postback log") || !strings.Contains(nav, "Conversions") {
		t.Errorf("buyer's menu: %q, want conversions and reports, no set-up", nav)
	}
	for _, page := range []string{"/conversions/" + inB, "/destinations", "/postbacks"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+page)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got, "TX-B") || strings.Contains(got, "john.doe") || !strings.Contains(strings.ToLower(got), "may not") && !strings.Contains(got, "outside your scope") {
			t.Errorf("buyer opens %s: %q, want a refusal", page, got)
		}
	}
}
