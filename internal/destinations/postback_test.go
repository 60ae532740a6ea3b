package destinations

import (
	"net/url"
	"strings"
	"testing"
)

func postbackDest(tmpl, method string) Destination {
	return Destination{ID: 5, Type: TypePostback, Name: "source", Config: map[string]string{"url": tmpl, "method": method}}
}

func TestPostbackFillsMacrosGET(t *testing.T) {
	f := newFake(t, 200, "OK")
	tmpl := f.URL + "/pb/{campaign_id}?cid={click_id}&payout={payout}&cur={currency}&tx={transaction_id}" +
		"&ev={event}&st={status}&s1={sub1}&s2={SUB2}&s10={sub10}&ext={external_id}&ts={timestamp}&x={unknown}"
	if _, de := send(t, postbackDest(tmpl, ""), sampleConversion()); de != nil {
		t.Fatal(de)
	}
	r := f.only(t)
	if r.Method != "GET" || r.Path != "/pb/cmp-1" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	want := map[string]string{"cid": "clk_abc123", "payout": "49.9", "cur": "USD", "tx": "TX-42", "ev": "Purchase",
		"st": "approved", "s1": "s1", "s2": "s2", "s10": "", "ext": "ref-9", "ts": "1795168800", "x": ""}
	for k, v := range want {
		if got, ok := r.Query[k]; !ok || len(got) != 1 || got[0] != v {
			t.Errorf("%s = %v, want %q", k, got, v)
		}
	}
}

func TestPostbackHostileValuesStayInert(t *testing.T) {
	f := newFake(t, 200, "OK")
	tmpl := f.URL + "/cb/{sub1}?click={click_id}&sub={sub2}&p={payout}"
	c := sampleConversion()
	c.ClickID = "x&payout=1000000&admin=1#frag"
	c.Subs = map[string]string{
		"sub1": "../../admin?steal=1",
		"sub2": "a b+c=%26;{click_id}\r\nX-Injected: yes",
	}
	if _, de := send(t, postbackDest(tmpl, "GET"), c); de != nil {
		t.Fatal(de)
	}
	r := f.only(t)
	if r.Path != "/cb/..%2F..%2Fadmin%3Fsteal%3D1" {
		t.Errorf("path %q: a value escaped its segment", r.Path)
	}
	if len(r.Query) != 3 {
		t.Errorf("query has %d keys, want 3: %v", len(r.Query), r.Query)
	}
	if r.Query.Get("click") != c.ClickID || r.Query.Get("sub") != c.Subs["sub2"] || r.Query.Get("p") != "49.9" {
		t.Errorf("values changed on the way: %v", r.Query)
	}
}

func TestPostbackValuesCannotChangeHost(t *testing.T) {
	for _, tmpl := range []string{
		"https://{sub1}/pb?x=1",
		"https://{sub1}.example.com/pb",
		"https://user:{sub1}@example.com/pb",
		"ftp://example.com/{click_id}",
		"example.com/pb?c={click_id}",
	} {
		if err := Validate(postbackDest(tmpl, "")); err == nil {
			t.Errorf("template %q accepted", tmpl)
		}
	}
	// A macro glued to the host is part of the host, so it is refused too.
	if _, err := fillTemplate("https://pb.example.com{sub1}", map[string]string{"sub1": "@evil.com/x"}); err == nil {
		t.Error("macro glued to the host accepted")
	}
}

func TestPostbackPOSTSendsFormBody(t *testing.T) {
	f := newFake(t, 200, "OK")
	tmpl := f.URL + "/pb?cid={click_id}&payout={payout}&s={sub1}"
	c := sampleConversion()
	c.Subs = map[string]string{"sub1": "a&b=c"}
	if _, de := send(t, postbackDest(tmpl, "post"), c); de != nil {
		t.Fatal(de)
	}
	r := f.only(t)
	if r.Method != "POST" || r.Path != "/pb" || len(r.Query) != 0 {
		t.Errorf("request %s %s ?%v", r.Method, r.Path, r.Query)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("content type %q", ct)
	}
	form, err := url.ParseQuery(string(r.Body))
	if err != nil || form.Get("cid") != "clk_abc123" || form.Get("payout") != "49.9" || form.Get("s") != "a&b=c" || len(form) != 3 {
		t.Errorf("form %q -> %v %v", r.Body, form, err)
	}
}

func TestPostbackErrorsUseStatus(t *testing.T) {
	f := newFake(t, 404, "no such campaign")
	_, de := send(t, postbackDest(f.URL+"/pb?c={click_id}", ""), sampleConversion())
	if de == nil || de.Retryable || !strings.Contains(de.Error(), "no such campaign") {
		t.Fatalf("got %v", de)
	}
}
