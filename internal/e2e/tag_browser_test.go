package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/convrelay/convrelay/internal/devstack"
	"github.com/convrelay/convrelay/internal/store"
)

// TestTagInBrowser loads a landing page on 127.0.0.1 (its own origin, allowed
// in the account's tag settings) that sets Meta's, Google Analytics' and
// TikTok's cookies and includes /t.js, in a real headless Chromium against the
// whole product: the hit is recorded with the page's ids, an offer link is
// rewritten with the click id (other parameters unchanged, a foreign link
// untouched), track("conversion", {rev: 5, tx: "T9"}) is accepted, and a fake
// Meta receives the conversion with the page's fbp and the event_id track
// returned.
func TestTagInBrowser(t *testing.T) {
	chrome := findChromium(t)
	artifacts := artifactDir(t)
	st := startStack(t, t.TempDir(), devstack.Options{UIPort: -2}, nil)
	acct := st.info.AccountID

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	landing := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Landing</title></head><body>
<a id="offer" href="https://offers.example.net/go?o=7&aff_sub={sub1}&q=a%%20b&z=1">Get the offer</a>
<a id="offer2" href="https://www.offers.example.net/go?o=8">Another offer</a>
<a id="offer3" href="https://offers.example.net/t?cid=--CLICK-ID--&aff_sub=mine#top">A placeholder</a>
<a id="other" href="https://elsewhere.example/?s={sub1}">Elsewhere</a>
<script>
document.cookie = "_fbp=fb.1.1700000000000.424242; path=/";
document.cookie = "_ga=GA1.1.987654321.1700000000; path=/";
document.cookie = "_ttp=ttp-browser-xyz; path=/";
window.convrelayConsent = "granted";
</script>
<script src="%s/t.js" data-account="%s" async></script>
</body></html>`, st.info.APIBase, acct)
	})}}
	landing.Start()
	defer landing.Close()

	code, body := st.admin("PUT", "/tag", `{"origins":["`+landing.URL+`"],"events":["Purchase","Lead"],`+
		`"offer_domains":[{"domain":"offers.example.net","param":"aff_sub"}]}`)
	if code != http.StatusOK {
		t.Fatalf("tag settings: %d %v", code, body)
	}
	meta, tiktok, ga4 := newFake(t, "meta"), newFake(t, "tiktok"), newFake(t, "ga4")
	bodies := map[*fakePlatform]*capture{}
	for _, f := range []*fakePlatform{meta, tiktok, ga4} {
		bodies[f] = captureBodies(t, f)
		var d map[string]any
		json.Unmarshal([]byte(f.destination(f.kind+"-tag", "first", 0)), &d)
		delete(d, "campaign_id") // the whole account's
		d["endpoint"] = bodies[f].url
		raw, _ := json.Marshal(d)
		if code, body := st.admin("POST", "/destinations", string(raw)); code != http.StatusCreated {
			t.Fatalf("create %s destination: %d %v", f.kind, code, body)
		}
	}

	b := startBrowser(t, chrome, artifacts)
	page := landing.URL + "/lp?fbclid=IwAR-tag-fbclid&gclid=Cj0-tag-gclid&p=lp1&sub2=kw"
	b.do("open the landing page", 30*time.Second, chromedp.Navigate(page))
	hit := poll[map[string]any](b, "the tag's hit", 20*time.Second,
		`() => window.convrelay && window.convrelay.vid() && localStorage.getItem("cr_hit") ? {vid: convrelay.vid(), hit: localStorage.getItem("cr_hit"), cookie: document.cookie} : null`)
	vid, clickID := hit["vid"].(string), hit["hit"].(string)
	if !strings.Contains(hit["cookie"].(string), "cr_vid="+vid) {
		b.fail("the visitor id %q is not in a first-party cookie: %v", vid, hit["cookie"])
	}
	t.Logf("screenshot %s", b.screenshot("tag-landing.png"))

	// The hit, with the page's ids.
	s, err := store.Open(context.Background(), st.info.DatabaseURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k, err := s.GetClick(context.Background(), acct, clickID)
	if err != nil {
		t.Fatalf("hit %s: %v", clickID, err)
	}
	if k.VisitorID != vid || k.FBP != "fb.1.1700000000000.424242" || k.FBCLID != "IwAR-tag-fbclid" || k.GCLID != "Cj0-tag-gclid" ||
		!strings.HasSuffix(k.FBC, ".IwAR-tag-fbclid") || k.PageID != "lp1" || k.Subs["sub2"] != "kw" || !strings.HasPrefix(k.Referrer, "") {
		t.Fatalf("recorded hit = %+v", k)
	}
	th, err := s.GetTagHit(context.Background(), acct, clickID)
	if err != nil || k.GAClientID != "987654321.1700000000" || k.TTP != "ttp-browser-xyz" || th.Consent != "granted" ||
		th.PageURL != page {
		t.Fatalf("click ga_client_id %q, ttp %q; tag hit = %+v, %v", k.GAClientID, k.TTP, th, err)
	}

	// AutoTag.
	links := poll[map[string]string](b, "offer links rewritten", 10*time.Second,
		`() => document.getElementById("offer").href.includes("{") ? null : {offer: document.getElementById("offer").href,
		  offer2: document.getElementById("offer2").href, offer3: document.getElementById("offer3").href,
		  other: document.getElementById("other").href}`)
	if want := "https://offers.example.net/go?o=7&aff_sub=" + clickID + "&q=a%20b&z=1"; links["offer"] != want {
		t.Errorf("offer link = %s, want %s", links["offer"], want)
	}
	if want := "https://www.offers.example.net/go?o=8&aff_sub=" + clickID; links["offer2"] != want {
		t.Errorf("subdomain offer link = %s, want %s", links["offer2"], want)
	}
	if want := "https://offers.example.net/t?cid=" + clickID + "&aff_sub=mine#top"; links["offer3"] != want {
		t.Errorf("placeholder link = %s, want %s (the page's own aff_sub kept)", links["offer3"], want)
	}
	if want := "https://elsewhere.example/?s={sub1}"; links["other"] != want && links["other"] != "https://elsewhere.example/?s=%7Bsub1%7D" {
		t.Errorf("a link to another domain was changed: %s", links["other"])
	}

	// The conversion.
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	res, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`convrelay.track("conversion", {rev: 5, tx: "T9"})`,
		chromedp.EvalAwaitPromise))
	cancel()
	if err != nil {
		b.fail("track a conversion: %v", err)
	}
	eventID, _ := res["event_id"].(string)
	if res["status"] != "accepted" || eventID == "" || res["transaction_id"] != "T9" {
		t.Fatalf("track answered %v", res)
	}
	t.Logf("track answered %v", res)

	meta.waitArrival(t, 1, 60*time.Second)
	meta.assertValid(t)
	got := meta.log()[0]
	if got.EventID != eventID {
		t.Errorf("Meta event_id = %q, want the one track returned, %q", got.EventID, eventID)
	}
	if got.Fields["fbp"] != "fb.1.1700000000000.424242" || !strings.HasSuffix(got.Fields["fbc"], ".IwAR-tag-fbclid") {
		t.Errorf("Meta user data: fbp %q, fbc %q", got.Fields["fbp"], got.Fields["fbc"])
	}
	// The ids only the tag can read reach TikTok and GA4, with the page's consent.
	tiktok.waitArrival(t, 1, 60*time.Second)
	ga4.waitArrival(t, 1, 60*time.Second)
	tiktok.assertValid(t)
	ga4.assertValid(t)
	if b := bodies[tiktok].first(); !strings.Contains(b, `"ttp":"ttp-browser-xyz"`) || !strings.Contains(b, `"event_id":"`+eventID+`"`) {
		t.Errorf("TikTok received %s, want ttp ttp-browser-xyz and event_id %s", b, eventID)
	}
	if b := bodies[ga4].first(); !strings.Contains(b, `"client_id":"987654321.1700000000"`) ||
		!strings.Contains(b, `"ad_user_data":"GRANTED"`) {
		t.Errorf("GA4 received %s, want the page's client id and consent", b)
	}
	cs := st.conversions("T9")
	if len(cs) != 1 || cs[0]["click_id"] != clickID || cs[0]["integration"] != "tag" {
		t.Errorf("conversion T9 = %v, want attributed to the landing hit %s", cs, clickID)
	}
}

// capture sits in front of a fake platform and keeps the bodies it forwards.
type capture struct {
	url    string
	mu     sync.Mutex
	bodies []string
}

func captureBodies(t *testing.T, f *fakePlatform) *capture {
	t.Helper()
	c := &capture{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.bodies = append(c.bodies, string(b))
		c.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		f.ServeHTTP(w, r)
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

func (c *capture) first() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bodies) == 0 {
		return ""
	}
	return c.bodies[0]
}
