package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/convrelay/convrelay/internal/devstack"
)

// TestConsoleFirstHour walks a media buyer's first hour in the console in a real
// headless Chromium, against the whole product: sign in, create an integration and
// copy its postback URL (shown with its token this once), add a webhook destination, send a postback to that URL
// over HTTP, find it in the postback log, open its conversion and see the delivery
// fail (the fake platform refuses it), re-drive it once the platform recovers and
// see it delivered, create a campaign, and export the report as CSV. Every page is
// saved as a screenshot under artifacts/.
func TestConsoleFirstHour(t *testing.T) {
	chrome := findChromium(t)
	artifacts := artifactDir(t)
	var healthy atomic.Bool
	var received atomic.Int64
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			http.Error(w, `{"error":"fake platform refuses: bad request"}`, http.StatusBadRequest)
			return
		}
		received.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer platform.Close()

	st := startStack(t, t.TempDir(), devstack.Options{UIPort: -2}, nil)
	b := startBrowser(t, chrome, artifacts)
	base := st.info.APIBase + "/console"
	shot := func(name string) { t.Logf("screenshot %s", b.screenshot("console-"+name+".png")) }
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			b.fail("read %s: %v", sel, err)
		}
		return v
	}
	// waitText reloads url until the page's text contains want.
	waitText := func(what, url, want string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			b.do("open "+url, 30*time.Second, chromedp.Navigate(url))
			if strings.Contains(text("main"), want) {
				return
			}
			if time.Now().After(deadline) {
				b.fail("%s: %q never appeared on %s", what, want, url)
			}
			time.Sleep(time.Second)
		}
	}

	b.do("sign in", 30*time.Second,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#key"), st.info.AdminKey),
		chromedp.Submit(chromedp.CSS("#key")),
		chromedp.WaitVisible(chromedp.CSS("header.top")),
	)
	shot("overview")
	if !strings.Contains(text("main"), "Send your first postback") {
		b.fail("a new account's overview does not say how to send the first postback")
	}

	b.do("create an integration", 30*time.Second,
		chromedp.Navigate(base+"/integrations"),
		chromedp.SendKeys(chromedp.CSS("#slug"), "net"),
		chromedp.SetValue(chromedp.CSS("#preset"), "custom"),
		chromedp.Submit(chromedp.CSS("#slug")),
		chromedp.WaitVisible(chromedp.CSS("#new-url")),
		chromedp.Click(chromedp.CSS(`button[data-copy="#new-url"]`)),
	)
	shot("integrations")
	// The URL with the token is on this page only: the list shows it masked.
	template := strings.TrimSpace(text("#new-url"))
	t.Logf("postback URL template: %s", template)
	if listed := text("#tpl-net"); !strings.Contains(listed, "token={token}") {
		b.fail("the integration list shows %q, want the token masked as {token}", listed)
	}

	b.do("add a webhook destination", 30*time.Second,
		chromedp.Navigate(base+"/destinations"),
		chromedp.SetValue(chromedp.CSS("#d-type"), "webhook"),
		chromedp.SendKeys(chromedp.CSS("#d-name"), "crm"),
		chromedp.SetValue(chromedp.CSS("#d-config"), "url="+platform.URL+"/hook\nsecret=s3cret-webhook-key"),
		chromedp.Submit(chromedp.CSS("#d-name")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	shot("destinations")

	// The network fires the postback at the copied URL, macros filled in.
	// (The stack's API listens on a free port while CONVRELAY_PUBLIC_URL keeps its
	// default, so the template's host is pointed at it.)
	target := fillTemplate(t, st.info.APIBase, template, url.Values{"click_id": {"browser-click"}, "transaction_id": {"BR-1"},
		"commission": {"9.99"}, "status": {"approved"}})
	resp, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("postback to the copied URL answered %d", resp.StatusCode)
	}

	waitText("postback in the log", base+"/postbacks?transaction_id=BR-1", "BR-1")
	shot("postbacks")
	waitText("conversion with a failed delivery", base+"/conversions?transaction_id=BR-1", "BR-1")
	b.do("open the conversion", 30*time.Second, chromedp.Click(chromedp.CSS("table tbody tr td a")), chromedp.WaitVisible(chromedp.CSS("ol.timeline")))
	convURL, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	waitText("the delivery failed", convURL, "failed")
	shot("conversion-failed-delivery")

	healthy.Store(true)
	b.do("re-drive the delivery", 30*time.Second,
		chromedp.Click(chromedp.CSS(`form[action*="/deliveries/"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	waitText("the delivery is delivered after the re-drive", convURL, "delivered")
	shot("conversion-delivered")
	if n := received.Load(); n != 1 {
		t.Fatalf("the platform received %d deliveries, want exactly 1 after the re-drive", n)
	}
	b.do("open deliveries", 30*time.Second, chromedp.Navigate(base+"/deliveries"))
	shot("deliveries")

	b.do("create a campaign", 30*time.Second,
		chromedp.Navigate(base+"/campaigns"),
		chromedp.SendKeys(chromedp.CSS("#c-name"), "Spring sale"),
		chromedp.SendKeys(chromedp.CSS("#c-offer"), "https://offer.example/?sub={click_id}"),
		chromedp.SendKeys(chromedp.CSS("#c-payout"), "12.50"),
		chromedp.Submit(chromedp.CSS("#c-name")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	shot("campaigns")
	if !strings.Contains(text("main"), "/c/") {
		b.fail("the campaign's tracking link is not shown")
	}

	b.do("open reports", 30*time.Second, chromedp.Navigate(base+"/reports?group_by=day"))
	shot("reports")
	csv, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch("/console/reports.csv?group_by=day", {credentials: "same-origin"}).then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "day,clicks,pending,approved") {
		t.Fatalf("report CSV = %q", csv)
	}
	approved := 0
	for _, l := range lines[1:] {
		var day string
		var clicks, pending, appr int
		if _, err := fmt.Sscanf(strings.ReplaceAll(l, ",", " "), "%s %d %d %d", &day, &clicks, &pending, &appr); err == nil {
			approved += appr
		}
	}
	if approved < 1 {
		t.Fatalf("report CSV counts %d approved conversions, want the postback's: %q", approved, csv)
	}
	b.do("sign out", 30*time.Second, chromedp.Click(chromedp.CSS(`header.top form button`)), chromedp.WaitVisible(chromedp.CSS("#key")))
	shot("signed-out")
}

// fillTemplate turns a postback URL template into the URL a network would call:
// the template's own parameters (the token among them) are kept unless they are
// macros, and the given values are set.
func fillTemplate(t *testing.T, apiBase, template string, values url.Values) string {
	t.Helper()
	u, err := url.Parse(template)
	if err != nil {
		t.Fatalf("template %q: %v", template, err)
	}
	base, err := url.Parse(apiBase)
	if err != nil {
		t.Fatal(err)
	}
	u.Scheme, u.Host = base.Scheme, base.Host
	q := url.Values{}
	for k, vs := range u.Query() {
		for _, v := range vs {
			if !strings.ContainsAny(v, "{}#!") {
				q.Add(k, v)
			}
		}
	}
	for k, vs := range values {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}
