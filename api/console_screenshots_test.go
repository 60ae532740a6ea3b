package api_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/convrelay/convrelay/internal/config"
)

// screenshotDir is where TestConsoleScreenshots writes: the repository's
// artifacts/console (committed), only when CONVRELAY_SCREENSHOTS=1, so a plain
// test run never rewrites them.
const screenshotDir = "../artifacts/console"

// Widths the screenshots are taken at, and the tallest page kept (longer pages
// are cut there, which keeps the files small).
var screenshotWidths = []struct {
	name          string
	width, height int64
	tallest       int64
}{{"desktop", 1280, 800, 1400}, {"phone", 390, 844, 1800}}

// TestConsoleScreenshots signs an owner in (email, password and a TOTP code)
// in headless Chromium and saves every console page at desktop and phone widths
// under artifacts/console/<page>-<width>.png. Run it with
// CONVRELAY_SCREENSHOTS=1 go test ./api -run TestConsoleScreenshots.
func TestConsoleScreenshots(t *testing.T) {
	if os.Getenv("CONVRELAY_SCREENSHOTS") != "1" {
		t.Skip("set CONVRELAY_SCREENSHOTS=1 to rewrite artifacts/console")
	}
	ctx := browser(t)
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The conversion page links its workflow in the Temporal UI when it knows where that is.
	h := newHarness(t, func(c *config.Config) { c.TemporalUIURL = "http://127.0.0.1:8233" })
	h.integration("network", "custom", "")
	a := h.createCampaign(`{"name":"spring-sale","offer_url":"https://offer.example/?c={click_id}","default_payout":"4.20"}`)
	b := h.createCampaign(`{"name":"brand-search","offer_url":"https://offer.example/b?c={click_id}"}`)
	conv := strconv.FormatInt(h.personalConversion("TX-1001", a), 10)
	h.personalConversion("TX-1002", b)
	h.destination(`{"type":"webhook","name":"crm","config":{"url":"https://hooks.example/convrelay"}}`)
	code, body := statusOf(t, h, "POST", "/v1/accounts/"+h.account.ID+"/users", `{"email":"owner@example.com","role":"owner"}`, h.keyOf("owner"))
	m := inviteLink.FindStringSubmatch(body)
	if code != http.StatusCreated || m == nil {
		t.Fatalf("invite: %d %s", code, body)
	}
	statusOf(t, h, "POST", "/v1/accounts/"+h.account.ID+"/users", `{"email":"buyer@example.com","role":"buyer","campaign_ids":[`+strconv.FormatInt(a, 10)+`]}`, h.keyOf("owner"))
	postbackID := strconv.FormatInt(h.log()[0].ID, 10)
	base := h.srv.URL + "/console"

	shoot := func(page string) {
		t.Helper()
		for _, w := range screenshotWidths {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(w.width, w.height)); err != nil {
				t.Fatal(err)
			}
			tall, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`Math.ceil(document.documentElement.scrollHeight)`))
			if err != nil {
				t.Fatal(err)
			}
			tall = min(max(tall, w.height), w.tallest)
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(w.width, tall)); err != nil {
				t.Fatal(err)
			}
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(screenshotDir, page+"-"+w.name+".png")
			if err := os.WriteFile(name, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d KB", name, len(png)/1024)
		}
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	step("sign-in page", chromedp.Navigate(base+"/login"))
	shoot("login")
	step("invitation page", chromedp.Navigate(base+"/invite/"+m[1]))
	shoot("invite")
	step("join", chromedp.SendKeys(chromedp.CSS("#password"), "owner horse battery"), chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("header.top")))

	// TOTP: set up, then sign out and in again with a code.
	step("security", chromedp.Navigate(base+"/security"))
	shoot("security")
	step("set up TOTP", chromedp.Click(chromedp.CSS(`form[action$="/security/totp"] button`)), chromedp.WaitVisible(chromedp.CSS("#totp-secret")))
	shoot("security-totp-setup")
	secret, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#totp-secret")))
	if err != nil {
		t.Fatal(err)
	}
	now, _ := totp.GenerateCode(secret, time.Now())
	step("confirm TOTP", chromedp.SendKeys(chromedp.CSS("#totp-code"), now), chromedp.Submit(chromedp.CSS("#totp-code")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	step("sign out and in", chromedp.Click(chromedp.CSS(`form[action$="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@example.com"), chromedp.SendKeys(chromedp.CSS("#password"), "owner horse battery"),
		chromedp.Submit(chromedp.CSS("#email")), chromedp.WaitVisible(chromedp.CSS("#code")))
	shoot("login-code")
	next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	step("code", chromedp.SendKeys(chromedp.CSS("#code"), next), chromedp.Submit(chromedp.CSS("#code")), chromedp.WaitVisible(chromedp.CSS("header.top")))

	for _, p := range []struct{ name, path string }{
		{"home", "/"}, {"integrations", "/integrations"}, {"postbacks", "/postbacks"}, {"postback", "/postbacks/" + postbackID},
		{"conversions", "/conversions"}, {"conversion", "/conversions/" + conv}, {"deliveries", "/deliveries"},
		{"campaigns", "/campaigns"}, {"destinations", "/destinations"}, {"reports", "/reports?group_by=campaign"},
		{"users", "/users"}, {"keys", "/keys"}, {"settings", "/settings"}, {"import", "/import"}, {"erasure", "/erasure"},
	} {
		step(p.name, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS("header.top")))
		shoot(p.name)
	}
	csv := filepath.Join(t.TempDir(), "conversions.csv")
	if err := os.WriteFile(csv, []byte(importCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	step("import a file", chromedp.Navigate(base+"/import"), chromedp.SetUploadFiles(chromedp.CSS("#i-file"), []string{csv}),
		chromedp.SendKeys(chromedp.CSS("#i-mapping"), importMapping), chromedp.Submit(chromedp.CSS("#i-file")),
		chromedp.WaitVisible(chromedp.CSS(".scroll table")))
	shoot("import-result")
	step("audit", chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS("header.top")))
	shoot("audit")
	if !regexp.MustCompile(`^[A-Z2-7]+$`).MatchString(secret) {
		t.Errorf("secret %q", secret)
	}
}
