package postback

import "strings"

// genericStatuses is seed 004's vocabulary, matched case-insensitively
// after trimming; any other word (or none) is a normal approved conversion.
var genericStatuses = map[string]Status{
	"pending":     StatusPending,
	"hold":        StatusPending,
	"preapproved": StatusPending,
	"rejected":    StatusRejected,
	"reject":      StatusRejected,
	"trash":       StatusRejected,
	"cancelled":   StatusRejected,
}

// classifyStatus maps a raw status word through the preset's vocabulary
// first, then the generic one.
func classifyStatus(raw string, preset *Preset) Status {
	if raw == "" {
		return StatusApproved
	}
	if preset != nil && len(preset.Statuses) > 0 {
		if st, ok := preset.Statuses[statusKey(raw)]; ok {
			return st
		}
	}
	if st, ok := genericStatuses[strings.ToLower(strings.TrimSpace(raw))]; ok {
		return st
	}
	return StatusApproved
}

// statusKey is how preset vocabularies are keyed: lower case with spaces,
// '_' and '-' removed, so "On Hold", "on_hold" and "pre-approved" match.
func statusKey(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '_' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
}
