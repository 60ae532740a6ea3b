package postback

import (
	"fmt"
	"strings"
)

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

// Where a status came from (Postback.StatusSource), as the test tool shows it.
const (
	StatusFromMap     = "status_map" // the integration's own status_map
	StatusFromPreset  = "preset"     // the preset's vocabulary
	StatusFromGeneric = "generic"    // the generic vocabulary (seed 004) or an approval word
	StatusFromUnknown = "unknown"    // a word no vocabulary knows, approved (UnknownStatus approve)
)

// Status map targets: a status, or StatusMapIgnore.
const StatusMapIgnore = "ignore"

// Unknown-status choices of an integration.
const (
	UnknownStatusApprove = "approve" // the default: any other word is an approval (seed 004)
	UnknownStatusReject  = "reject"  // refuse the postback with the reason
)

// approvalWords are the words that say "approved" in every vocabulary; with
// UnknownStatusReject they are known, not unknown.
var approvalWords = func() map[string]bool {
	out := map[string]bool{}
	for k, v := range networkStatuses {
		if v == StatusApproved {
			out[k] = true
		}
	}
	return out
}()

// ValidateStatusMap checks an integration's status_map: non-empty keys, and
// targets pending, approved, rejected or ignore; two keys that read the same
// ("On Hold", "on_hold") are refused.
func ValidateStatusMap(m map[string]string) error {
	seen := map[string]string{}
	for k, v := range m {
		key := statusKey(k)
		if key == "" {
			return fmt.Errorf("status_map: empty status word")
		}
		if other, ok := seen[key]; ok {
			return fmt.Errorf("status_map: %q and %q are the same word", other, k)
		}
		seen[key] = k
		switch strings.ToLower(strings.TrimSpace(v)) {
		case string(StatusPending), string(StatusApproved), string(StatusRejected), StatusMapIgnore:
		default:
			return fmt.Errorf("status_map: %q maps to %q; use pending, approved, rejected or ignore", k, v)
		}
	}
	return nil
}

// ValidateUnknownStatus checks an integration's unknown_status ("" is approve).
func ValidateUnknownStatus(s string) error {
	switch s {
	case "", UnknownStatusApprove, UnknownStatusReject:
		return nil
	}
	return fmt.Errorf("unknown_status must be approve or reject, not %q", s)
}

// classifyStatus maps a raw status word through the integration's status map,
// then the preset's vocabulary, then the generic one; a word none knows is
// approved, or refused when the integration says so. It returns where the
// status came from ("" for no status word).
func classifyStatus(raw string, preset *Preset, integ Integration) (Status, string, error) {
	if raw == "" {
		return StatusApproved, "", nil
	}
	key := statusKey(raw)
	for k, v := range integ.StatusMap {
		if statusKey(k) != key {
			continue
		}
		v = strings.ToLower(strings.TrimSpace(v))
		if v == StatusMapIgnore {
			return "", StatusFromMap, fieldError("status", "Status %q is ignored by this integration's status_map: nothing recorded", short(raw))
		}
		return Status(v), StatusFromMap, nil
	}
	if preset != nil && len(preset.Statuses) > 0 {
		if st, ok := preset.Statuses[key]; ok {
			return st, StatusFromPreset, nil
		}
	}
	if st, ok := genericStatuses[strings.ToLower(strings.TrimSpace(raw))]; ok {
		return st, StatusFromGeneric, nil
	}
	if approvalWords[key] {
		return StatusApproved, StatusFromGeneric, nil
	}
	if integ.UnknownStatus == UnknownStatusReject {
		return "", StatusFromUnknown, fieldError("status", "Unknown status %q (this integration rejects statuses its status_map and preset do not know)", short(raw))
	}
	return StatusApproved, StatusFromUnknown, nil
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
