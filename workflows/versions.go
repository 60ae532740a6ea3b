package workflows

import "go.temporal.io/sdk/workflow"

// baselineChange stands, in a run started by this code, for every change below at
// its version here: one marker instead of one per change. The SDK upserts a
// search attribute for every change id it records (a visibility write on the
// server), and four of them cost as much as the rest of a conversion's first
// workflow task. Runs recorded without this marker ask each change id, as before.
const baselineChange = "baseline-2026-11-30"

// baselineVersions: the changes the baseline covers. A change made after it gets
// its own GetVersion call (and its own marker) as usual.
var baselineVersions = map[string]workflow.Version{
	"attrs-from-start":             1,
	"db-steps-until-applied":       1,
	"memo-only-on-change":          1,
	"delivery-bookkeeping":         1,
	"first-delivery-attempt-local": 1,
}

// version is workflow.GetVersion for the conversion workflow's changes, through
// the baseline when this run recorded it.
func (w *conversion) version(ctx workflow.Context, change string, maxSupported workflow.Version) workflow.Version {
	if v, covered := baselineVersions[change]; covered && w.baseline {
		return v
	}
	return workflow.GetVersion(ctx, change, workflow.DefaultVersion, maxSupported)
}
