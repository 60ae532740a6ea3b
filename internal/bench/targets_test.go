package bench

import (
	"testing"
	"time"
)

func TestVerdicts(t *testing.T) {
	r := &Results{
		Raw:      LoadResult{PerSecond: 1000},
		Intake:   LoadResult{PerSecond: 850, P99: 20 * time.Millisecond},
		Ceiling:  CeilingResult{PerSecond: 50},
		EndToEnd: EndToEndResult{PerSecond: 60},
		Steady:   SteadyResult{Conversions: 100, P99: 1500 * time.Millisecond},
	}
	got := map[string]Verdict{}
	for _, v := range Verdicts(r) {
		got[v.Phase] = v
	}
	check := func(phase, status, value string) {
		t.Helper()
		if v := got[phase]; v.Status != status || v.Value != value {
			t.Errorf("%s: %s %q, want %s %q", phase, v.Status, v.Value, status, value)
		}
	}
	check("end to end", Missed, "120%")
	check("intake", Met, "85%, p99 20.0 ms")
	check("steady", Met, "1500.0 ms")

	r.EndToEnd.PerSecond = 75            // exactly 150%
	r.Intake.P99 = 26 * time.Millisecond // fast enough, but a slow tail
	r.Steady = SteadyResult{}            // not run
	got = map[string]Verdict{}
	for _, v := range Verdicts(r) {
		got[v.Phase] = v
	}
	check("end to end", Met, "150%")
	check("intake", Missed, "85%, p99 26.0 ms")
	check("steady", NotMeasured, "-")
	if s := status(Verdicts(r), "steady"); s != NotMeasured {
		t.Errorf("status of steady: %s", s)
	}

	r.Steady = SteadyResult{Conversions: 100, P99: 2 * time.Second} // the target is strictly under 2 s
	if s := status(Verdicts(r), "steady"); s != Missed {
		t.Errorf("steady p99 of exactly 2 s: %s, want missed", s)
	}
	r.Intake.P99, r.Intake.Errors = 20*time.Millisecond, 3
	if s := status(Verdicts(r), "intake"); s != Missed {
		t.Errorf("intake with refused postbacks: %s, want missed", s)
	}
	if s := status(Verdicts(&Results{}), "end to end"); s != NotMeasured {
		t.Errorf("empty results: %s, want not measured", s)
	}
}
