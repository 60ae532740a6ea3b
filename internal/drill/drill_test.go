package drill

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestDrillsShort runs every fault drill in its short form against the production
// binary: each must lose nothing, duplicate nothing, and leave every transaction
// in its expected status and value.
func TestDrillsShort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the product and runs fault drills on a real stack (skipped with -short)")
	}
	dir, err := os.MkdirTemp("", "convrelay-drill-test-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	progress := &testWriter{t: t}
	s, err := StartStack(ctx, StackOptions{Dir: dir, Progress: progress})
	if err != nil {
		t.Fatalf("start stack: %v (work directory %s)", err, dir)
	}
	defer func() {
		s.Close()
		if t.Failed() {
			t.Logf("logs and data kept in %s", dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	}()
	for _, d := range Drills() {
		t.Run(d.Name, func(t *testing.T) {
			r := d.Run(ctx, s, Short())
			r.Name = d.Name
			t.Log("\n" + r.Report())
			if r.Lost != 0 || r.Duplicated != 0 {
				t.Errorf("lost %d, duplicated %d, want 0 and 0", r.Lost, r.Duplicated)
			}
			if r.Wrong != 0 || r.Conversions != r.Transactions {
				t.Errorf("%d of %d transactions ended in the expected status and value", r.Conversions, r.Transactions)
			}
			if !r.OK() {
				t.Errorf("drill failed:\n%s", r.Report())
			}
		})
	}
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestExpectationModel(t *testing.T) {
	ap := step{Status: "approved", Value: "4.99"}
	pe := step{Status: "pending", Value: "4.99"}
	rj := step{Status: "rejected", Value: "4.99"}
	cases := []struct {
		name     string
		steps    []step
		status   string
		value    string
		webhook  string
		postback string
	}{
		{"approved", []step{ap}, "approved", "4.99", "conversion", "conversion"},
		{"pending", []step{pe}, "pending", "0.01", "conversion", "conversion"},
		{"late pending", []step{ap, pe}, "approved", "4.99", "conversion", "conversion"},
		{"reversal", []step{pe, ap, rj}, "rejected", "4.99", "conversion,reversal", "conversion"},
		{"re-approval", []step{ap, rj, ap}, "approved", "4.99", "conversion,reversal", "conversion"},
		{"rejected first", []step{rj}, "rejected", "0", "", ""},
		{"suppressed", []step{{Status: "approved", Value: "1", Disable: true}}, "approved", "1", "", ""},
	}
	for _, c := range cases {
		e := expect(c.steps)
		if e.Status != c.status || e.Value.String() != c.value || strings.Join(e.Webhook, ",") != c.webhook ||
			strings.Join(e.Postback, ",") != c.postback {
			t.Errorf("%s: got %s %s webhook %v postback %v", c.name, e.Status, e.Value, e.Webhook, e.Postback)
		}
	}
	for i := range 20 {
		_ = mixPlan("X", i, "c")
		_ = stormPlan("X", i, "c", 20)
	}
}

func TestDuplicates(t *testing.T) {
	t0 := time.Now()
	crash := []time.Time{t0.Add(time.Second)}
	cases := []struct {
		name        string
		got         []receipt
		dup, resent int
	}{
		{"once", []receipt{{t0, true}}, 0, 0},
		{"twice, both answered", []receipt{{t0.Add(-time.Minute), true}, {t0, true}}, 1, 0},
		{"sender died mid-request", []receipt{{t0, false}, {t0.Add(time.Minute), true}}, 0, 1},
		{"answered just before a crash", []receipt{{t0, true}, {t0.Add(time.Minute), true}}, 0, 1},
		{"answered, crash much later", []receipt{{t0.Add(-time.Minute), true}, {t0.Add(2 * time.Minute), true}}, 1, 0},
		// The receiver read the dying worker's request just after the kill.
		{"in flight at the crash", []receipt{{t0.Add(1200 * time.Millisecond), true}, {t0.Add(time.Minute), true}}, 0, 1},
		{"answered well after the crash", []receipt{{t0.Add(5 * time.Second), true}, {t0.Add(time.Minute), true}}, 1, 0},
	}
	for _, c := range cases {
		if dup, resent := duplicates(c.got, crash); dup != c.dup || resent != c.resent {
			t.Errorf("%s: dup %d resent %d, want %d %d", c.name, dup, resent, c.dup, c.resent)
		}
	}
}

// A crash's re-sends are printed per destination type with who drops them.
func TestReportResentPerDestinationType(t *testing.T) {
	r := Result{Name: "worker-kill", Transactions: 1, Conversions: 1, Resent: 5, ResentBy: map[string]int{"webhook": 3, "postback": 2}}
	out := r.Report()
	for _, want := range []string{
		"re-sent after a crash hid the destination's answer: 5",
		"postback: 2 (the traffic source sees it twice; it drops the repeat only if the template carries {event_id})",
		"webhook: 3 (the receiver sees it twice; it drops the repeat by its webhook-id header)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "postback: 2") > strings.Index(out, "webhook: 3") {
		t.Errorf("types not in a stable order:\n%s", out)
	}
}
