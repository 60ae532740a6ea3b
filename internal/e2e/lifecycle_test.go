package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/devstack"
	"github.com/convrelay/convrelay/internal/devtemporal"
	"github.com/convrelay/convrelay/workflows"
)

func TestPendingApprovedRejectedOverHTTP(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, nil)
	base := "/" + st.info.AccountID + "/collect/demo?click_id=c1&transaction_id=TX-PAR&commission=4.99"
	for i, status := range []string{"pending", "approved", "rejected"} {
		if code, body := st.call("GET", base+"&status="+status, "", ""); code != http.StatusOK {
			t.Fatalf("postback %s answered %d %v", status, code, body)
		}
		want := i + 1
		eventually(t, status+" applied", 30*time.Second, func() error {
			cs := st.conversions("TX-PAR")
			if len(cs) != 1 {
				return fmt.Errorf("conversions = %v", cs)
			}
			_, c := st.admin("GET", "/conversions/"+fmt.Sprint(cs[0]["id"]), "")
			if h, _ := c["history"].([]any); len(h) != want {
				return fmt.Errorf("history has %d entries, want %d", len(h), want)
			}
			return nil
		})
	}
	cs := st.conversions("TX-PAR")
	_, c := st.admin("GET", "/conversions/"+fmt.Sprint(cs[0]["id"]), "")
	h := c["history"].([]any)
	wantValues := []string{"0.01", "4.99", "4.99"}
	wantTo := []string{"pending", "approved", "rejected"}
	for i := range h {
		e := h[i].(map[string]any)
		if e["to"] != wantTo[i] || e["value"] != wantValues[i] {
			t.Fatalf("history[%d] = %v, want %s %s", i, e, wantTo[i], wantValues[i])
		}
	}
	if c["status"] != "rejected" || c["deleted_at"] == nil {
		t.Fatalf("final conversion = %v, want rejected and deleted", c)
	}
}

func TestConcurrentIdenticalPostbacksMakeOneConversion(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, nil)
	path := "/" + st.info.AccountID + "/collect/demo?click_id=c2&transaction_id=TX-STORM&commission=12.50&status=approved"
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i], _ = st.call("GET", path, "", "")
		}(i)
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("copy %d answered %d", i, c)
		}
	}
	eventually(t, "all 20 copies processed", 60*time.Second, func() error {
		_, body := st.admin("GET", "/postbacks?transaction_id=TX-STORM&limit=100", "")
		counts := map[string]int{}
		for _, r := range body["postbacks"].([]any) {
			row := r.(map[string]any)
			if row["processed_at"] == nil {
				return fmt.Errorf("postback %v not processed yet", row["id"])
			}
			counts[row["outcome"].(string)]++
		}
		if counts["accepted"] != 1 || counts["duplicate"] != 19 {
			return fmt.Errorf("outcomes = %v, want 1 accepted and 19 duplicate", counts)
		}
		return nil
	})
	if cs := st.conversions("TX-STORM"); len(cs) != 1 || cs[0]["value"] != "12.5" {
		t.Fatalf("conversions = %v, want one at 12.5", cs)
	}
}

// TestTemporalDownNothingLost stops Temporal, sends 50 postbacks (all answered
// accepted), starts Temporal again, and finds all 50 processed exactly once.
func TestTemporalDownNothingLost(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	startTemporal := func() *devtemporal.Server {
		srv, err := devtemporal.Start(context.Background(), devtemporal.Options{DataDir: filepath.Join(dir, "temporal-ext"),
			GRPCPort: port, UIPort: -1, SearchAttributes: workflows.SearchAttributeNames, Logger: testLogger(t)})
		if err != nil {
			t.Fatalf("start Temporal: %v", err)
		}
		return srv
	}
	tsrv := startTemporal()
	st := startStack(t, dir, devstack.Options{}, map[string]string{"TEMPORAL_ADDRESS": tsrv.FrontendAddress()})
	if err := tsrv.Stop(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		path := "/" + st.info.AccountID + "/collect/demo?click_id=c3&transaction_id=DOWN-" + strconv.Itoa(i) + "&commission=1"
		if code, body := st.call("GET", path, "", ""); code != http.StatusOK || body["status"] != "accepted" {
			t.Fatalf("postback %d with Temporal down answered %d %v", i, code, body)
		}
	}
	tsrv = startTemporal()
	defer tsrv.Stop()
	eventually(t, "50 postbacks processed after Temporal is back", 120*time.Second, func() error {
		_, body := st.admin("GET", "/postbacks?limit=200", "")
		processed := 0
		for _, r := range body["postbacks"].([]any) {
			row := r.(map[string]any)
			if row["processed_at"] != nil && row["outcome"] == "accepted" {
				processed++
			}
		}
		if processed != 50 {
			return fmt.Errorf("%d of 50 processed", processed)
		}
		return nil
	})
	_, body := st.admin("GET", "/conversions?limit=200", "")
	convs := body["conversions"].([]any)
	if len(convs) != 50 {
		t.Fatalf("conversions = %d, want 50", len(convs))
	}
	for _, c := range convs {
		id := fmt.Sprint(c.(map[string]any)["id"])
		_, full := st.admin("GET", "/conversions/"+id, "")
		if h := full["history"].([]any); len(h) != 1 {
			t.Fatalf("conversion %s has %d history entries, want exactly 1", id, len(h))
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestSameConversionOverQueryFormAndJSON posts one conversion as a GET query, a POST
// form and a POST JSON body: one conversion, the two repeats recorded as duplicates.
func TestSameConversionOverQueryFormAndJSON(t *testing.T) {
	st := startStack(t, t.TempDir(), devstack.Options{}, nil)
	path := "/" + st.info.AccountID + "/collect/demo"
	query := "click_id=demo-click&transaction_id=TX-3WAYS&commission=9.90&currency=EUR"
	answers := []struct {
		code int
		body map[string]any
	}{}
	for _, req := range []struct{ method, path, ctype, body string }{
		{"GET", path + "?" + query, "", ""},
		{"POST", path, "application/x-www-form-urlencoded", query},
		{"POST", path, "application/json", `{"click_id":"demo-click","transaction_id":"TX-3WAYS","commission":9.90,"currency":"EUR"}`},
	} {
		code, body := st.call(req.method, req.path, req.ctype, req.body)
		answers = append(answers, struct {
			code int
			body map[string]any
		}{code, body})
	}
	for i, a := range answers {
		if a.code != http.StatusOK || a.body["workflow_id"] != answers[0].body["workflow_id"] || a.body["event_name"] != "Purchase" {
			t.Fatalf("answer %d = %d %v", i, a.code, a.body)
		}
	}
	eventually(t, "one conversion, two duplicates", 30*time.Second, func() error {
		_, body := st.admin("GET", "/postbacks?transaction_id=TX-3WAYS", "")
		counts := map[string]int{}
		for _, r := range body["postbacks"].([]any) {
			counts[r.(map[string]any)["outcome"].(string)]++
		}
		if counts["accepted"] != 1 || counts["duplicate"] != 2 {
			return fmt.Errorf("outcomes %v", counts)
		}
		return nil
	})
	cs := st.conversions("TX-3WAYS")
	if len(cs) != 1 || cs[0]["value"] != "9.9" || cs[0]["currency"] != "EUR" || cs[0]["attributed"] != true {
		t.Fatalf("conversions = %v", cs)
	}
}
