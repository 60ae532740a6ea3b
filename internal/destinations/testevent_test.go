package destinations

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// A test event uses each platform's validation mode where it has one, and
// puts the request's test code on Meta and TikTok only.
func TestSendTestUsesValidationModes(t *testing.T) {
	ga := newFake(t, 200, `{"validationMessages":[]}`)
	out := testSender().SendTest(context.Background(), ga4Dest(ga.URL), TestEvent{TestEventCode: "T1", Currency: "EUR"})
	if !out.Delivered || ga.only(t).Path != "/debug/mp/collect" {
		t.Errorf("ga4 test: %+v, path %s", out, ga.only(t).Path)
	}

	g := newFake(t, 200, `{"results":[{}]}`)
	out = testSender().SendTest(context.Background(), googleDest(g.URL), TestEvent{})
	body := decode(t, g.only(t).Body)
	if !out.Delivered || body["validateOnly"] != true {
		t.Errorf("google test: %+v, body %v", out, body)
	}

	m := newFake(t, 200, `{"events_received":1}`)
	d := metaDest(m.URL)
	delete(d.Config, "test_event_code")
	out = testSender().SendTest(context.Background(), d, TestEvent{TestEventCode: "TEST42"})
	mb := decode(t, m.only(t).Body)
	wantString(t, mb["test_event_code"], "TEST42")
	wantString(t, path(t, mb, "data", 0, "event_id"), out.EventID)
	if _, ok := d.Config["test_event_code"]; ok {
		t.Error("SendTest changed the caller's config")
	}
}

func TestSendTestMasksSecretsInTheAnswer(t *testing.T) {
	f := newFake(t, 0, "")
	f.handler = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("refused " + r.URL.RawQuery))
	}
	d := ga4Dest(f.URL)
	out := testSender().SendTest(context.Background(), d, TestEvent{})
	if out.Delivered || out.StatusCode != 403 || strings.Contains(out.Body+out.Error, "mp-secret-value") ||
		!strings.Contains(out.Body, "****alue") {
		t.Errorf("answer %+v", out)
	}
}
