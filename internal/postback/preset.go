package postback

import (
	"maps"
	"slices"
	"strings"
)

// Integration is an account's configured receiver for one network.
type Integration struct {
	Preset   string            // preset name; "" means "custom"
	FieldMap map[string]string // network param name -> canonical name, e.g. "sub1" -> "click_id"; "" ignores the param
	// StatusMap reads the network's own status words and codes before the
	// preset's vocabulary: word (matched like preset words: case, spaces,
	// '_' and '-' ignored) -> pending, approved, rejected or ignore (the
	// postback is refused with the reason and changes nothing).
	StatusMap map[string]string
	// UnknownStatus is what a status word no vocabulary knows means:
	// approve ("" too, as seed 004 says) or reject (refused with the reason).
	UnknownStatus string
}

// FieldMapping renames one network parameter to a canonical name; an empty
// To makes the parameter invisible to resolution (it stays in the log).
type FieldMapping struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// TemplateParam is one pair of a postback URL template.
type TemplateParam struct {
	Name  string `json:"name"`  // our parameter name
	Macro string `json:"macro"` // the network's placeholder for it
}

// Preset describes how one network talks: the names it sends, its status
// words and the macros to put in the postback URL it is given.
type Preset struct {
	Name        string
	Description string
	Fields      []FieldMapping    // applied in order, after Integration.FieldMap
	Statuses    map[string]Status // keyed by statusKey(); unknown words fall back to the generic vocabulary
	Template    []TemplateParam
}

// PresetInfo is what the admin API lists.
type PresetInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// presetAliases are other names people use for the same network.
var presetAliases = map[string]string{
	"tune":         "hasoffers",
	"incomeaccess": "galapartners",
	"impactradius": "impact",
}

// Presets lists the built-in presets in a stable order.
func Presets() []PresetInfo {
	out := make([]PresetInfo, len(builtinPresets))
	for i, p := range builtinPresets {
		out[i] = PresetInfo{Name: p.Name, Description: p.Description}
	}
	return out
}

// LookupPreset finds a preset by name (case-insensitive; "" is custom). The
// result is a copy the caller may modify.
func LookupPreset(name string) (Preset, bool) {
	p := lookupPreset(name)
	if p == nil {
		return Preset{}, false
	}
	c := *p
	c.Fields = slices.Clone(p.Fields)
	c.Statuses = maps.Clone(p.Statuses)
	c.Template = slices.Clone(p.Template)
	return c, true
}

func lookupPreset(name string) *Preset {
	key := strings.ToLower(strings.TrimSpace(name))
	if key == "" {
		key = "custom"
	}
	if a, ok := presetAliases[key]; ok {
		key = a
	}
	for i := range builtinPresets {
		if builtinPresets[i].Name == key {
			return &builtinPresets[i]
		}
	}
	return nil
}

// PostbackURLTemplate is the URL to paste into the network: base plus the
// preset's parameters with the network's macros. Where the integration's
// FieldMap names a network parameter for a field, that parameter becomes the
// macro ("click_id={sub1}"); field-map targets the preset does not list are
// appended, sorted. Braces are left unescaped: humans read and edit this.
func PostbackURLTemplate(base string, integ Integration) string {
	p := lookupPreset(integ.Preset)
	if p == nil {
		p = lookupPreset("custom")
	}
	fromFor := map[string]string{} // field key -> network parameter name
	var extra []TemplateParam
	keys := slices.Sorted(maps.Keys(integ.FieldMap))
	for _, from := range keys {
		to := integ.FieldMap[from]
		if to == "" || from == "" {
			continue
		}
		fk := fieldKey(to)
		if _, dup := fromFor[fk]; dup {
			continue
		}
		fromFor[fk] = from
		if !slices.ContainsFunc(p.Template, func(t TemplateParam) bool { return fieldKey(t.Name) == fk }) {
			extra = append(extra, TemplateParam{Name: to, Macro: "{" + from + "}"})
		}
	}
	var b strings.Builder
	b.WriteString(base)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			sep = ""
		}
	}
	for _, t := range append(slices.Clone(p.Template), extra...) {
		macro := t.Macro
		if from, ok := fromFor[fieldKey(t.Name)]; ok {
			macro = "{" + from + "}"
		}
		b.WriteString(sep)
		b.WriteString(t.Name)
		b.WriteByte('=')
		b.WriteString(macro)
		sep = "&"
	}
	return b.String()
}

// fieldKey says which field a parameter name feeds, so "commission" and
// "rev" are both the value field and "sub1"-style names stay themselves.
func fieldKey(name string) string {
	n := normalize(name)
	for _, group := range [][]alias{aliasClickID, aliasRefID, aliasValue, aliasCurrency, aliasTransaction,
		aliasBrand, aliasEventName, aliasEventID, aliasTimestamp, aliasStatus, aliasDisable} {
		for _, a := range group {
			if a.norm == n {
				return group[0].norm
			}
		}
	}
	return "=" + name
}
