package bench

import (
	"fmt"
	"time"
)

// Issue 16's targets, which the printed table marks met or missed.
const (
	endToEndVsCeilingTarget = 1.5 // end to end at least 150% of the trivial workflow's rate
	intakeVsRawTarget       = 0.8 // intake at least 80% of a bare insert
	intakeP99Target         = 25 * time.Millisecond
	steadyP99Target         = 2 * time.Second // accept to last delivery at half the burst rate
)

// A Verdict's status.
const (
	Met         = "met"
	Missed      = "missed"
	NotMeasured = "not measured"
)

// Verdict is one target against this run's figure.
type Verdict struct {
	Phase  string `json:"phase"` // the table row it judges
	Target string `json:"target"`
	Value  string `json:"value"`
	Status string `json:"status"`
}

func verdict(phase, target string, measured bool, value string, met bool) Verdict {
	v := Verdict{Phase: phase, Target: target, Value: value, Status: Missed}
	switch {
	case !measured:
		v.Value, v.Status = "-", NotMeasured
	case met:
		v.Status = Met
	}
	return v
}

// Verdicts judges a run against issue 16's targets.
func Verdicts(r *Results) []Verdict {
	e2e := r.EndToEnd.PerSecond / r.Ceiling.PerSecond
	intake := r.Intake.PerSecond / r.Raw.PerSecond
	return []Verdict{
		verdict("end to end", fmt.Sprintf("end to end >= %.0f%% of ceiling", 100*endToEndVsCeilingTarget),
			r.Ceiling.PerSecond > 0 && r.EndToEnd.PerSecond > 0, fmt.Sprintf("%.0f%%", 100*e2e), e2e >= endToEndVsCeilingTarget),
		// A refused postback is not an accept: any error misses the target.
		verdict("intake", fmt.Sprintf("intake >= %.0f%% of raw, p99 <= %s", 100*intakeVsRawTarget, intakeP99Target),
			r.Raw.PerSecond > 0 && r.Intake.PerSecond > 0, intakeValue(intake, r.Intake),
			intake >= intakeVsRawTarget && r.Intake.P99 <= intakeP99Target && r.Intake.Errors == 0),
		verdict("steady", fmt.Sprintf("steady p99 < %s", steadyP99Target),
			r.Steady.Conversions > 0 && r.Steady.P99 > 0, ms(r.Steady.P99), r.Steady.P99 < steadyP99Target),
	}
}

func intakeValue(ratio float64, l LoadResult) string {
	v := fmt.Sprintf("%.0f%%, p99 %s", 100*ratio, ms(l.P99))
	if l.Errors > 0 {
		v += fmt.Sprintf(", %d errors", l.Errors)
	}
	return v
}

// status is the verdict on a phase's row, NotMeasured if none judges it.
func status(vs []Verdict, phase string) string {
	for _, v := range vs {
		if v.Phase == phase {
			return v.Status
		}
	}
	return NotMeasured
}
