package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/devstack"
)

// TestClickToAttributedConversion follows a click through /c/{slug} to the
// offer, then sends postbacks: by that click id (attributed), by vid + p (the right
// hit among several), without a value (the campaign's default payout), and with an
// unknown click id (unattributed, with the reason).
func TestClickToAttributedConversion(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, nil)
	code, camp := st.admin("POST", "/campaigns", `{"name":"Summer","offer_url":"https://offer.example/land?cid={click_id}&s={sub1}",
		"default_payout":"7.25","traffic_source":"push-net"}`)
	if code != http.StatusCreated {
		t.Fatalf("create campaign: %d %v", code, camp)
	}
	campaign, slug := fmt.Sprint(camp["id"]), fmt.Sprint(camp["slug"]) // the click URL names the random slug
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	click := func(query string) (clickID string) {
		t.Helper()
		resp, err := noRedirect.Get(st.info.APIBase + "/c/" + slug + "?" + query)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || loc.Host != "offer.example" || loc.Query().Get("cid") == "" {
			t.Fatalf("click answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		return loc.Query().Get("cid")
	}
	postback := func(query string) {
		t.Helper()
		if code, body := st.call("GET", "/"+st.info.AccountID+"/collect/demo?"+query, "", ""); code != http.StatusOK {
			t.Fatalf("postback %q: %d %v", query, code, body)
		}
	}
	waitConversion := func(tx string) map[string]any {
		t.Helper()
		var c map[string]any
		eventually(t, "conversion "+tx, 30*time.Second, func() error {
			cs := st.conversions(tx)
			if len(cs) != 1 {
				return fmt.Errorf("conversions = %v", cs)
			}
			c = cs[0]
			return nil
		})
		return c
	}

	byClick := click("sub1=adset-9&external_id=ext-42")
	postback("click_id=" + byClick + "&transaction_id=ATT-1&commission=12")
	c := waitConversion("ATT-1")
	if c["attributed"] != true || c["click_id"] != byClick || fmt.Sprint(c["campaign_id"]) != campaign || c["traffic_source"] != "push-net" {
		t.Fatalf("by click id = %v", c)
	}
	if src, _ := c["source"].(map[string]any); src == nil || src["external_id"] != "ext-42" {
		t.Fatalf("source click data = %v", c["source"])
	}

	// One visitor, three hits on two pages: vid + p picks the latest hit on that page.
	click("vid=visitor-1&p=page-a")
	onB := click("vid=visitor-1&p=page-b")
	click("vid=visitor-1&p=page-a")
	postback("vid=visitor-1&p=page-b&transaction_id=ATT-2&commission=3")
	if c := waitConversion("ATT-2"); c["click_id"] != onB || c["attributed"] != true {
		t.Fatalf("vid + p = %v, want the hit on page-b %s", c, onB)
	}

	// No value: the campaign's default payout.
	postback("click_id=" + byClick + "&transaction_id=ATT-3")
	if c := waitConversion("ATT-3"); c["value"] != "7.25" {
		t.Fatalf("no value = %v, want the default payout 7.25", c)
	}

	// Unknown click id: recorded unattributed, with the reason.
	postback("click_id=nope-123&transaction_id=ATT-4&commission=1")
	c = waitConversion("ATT-4")
	if c["attributed"] != false || c["unattributed_reason"] != "No match found for click_id nope-123" {
		t.Fatalf("unknown click = %v", c)
	}
}
