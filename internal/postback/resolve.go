package postback

import (
	"sort"
	"strings"
)

// paramSet is every received parameter, query first, ready for lookups.
type paramSet struct {
	all []rawParam
}

// newParamSet renames parameters through the integration's FieldMap (rank 0)
// and then its preset's field list (in the preset's order) before any alias
// resolution, as the contract asks. Field-map keys match case-insensitively.
func newParamSet(query, body []rawParam, custom map[string]string, preset *Preset) *paramSet {
	customFold := foldMap(custom)
	all := make([]rawParam, 0, len(query)+len(body))
	all = append(all, query...)
	all = append(all, body...)
	for i := range all {
		p := &all[i]
		p.pos = i
		p.eff = p.name
		if to, ok := lookupFold(custom, customFold, p.name); ok {
			p.eff, p.mapped, p.rank = to, true, 0
		} else if preset != nil {
			for j, fm := range preset.Fields {
				if strings.EqualFold(fm.From, p.name) {
					p.eff, p.mapped, p.rank = fm.To, true, j+1
					break
				}
			}
		}
		p.norm = normalize(p.eff)
	}
	return &paramSet{all: all}
}

// foldMap indexes a field map by lower-cased key; where two keys fold alike
// the smallest one wins so the choice never depends on map iteration order.
func foldMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]string, len(m))
	for _, k := range keys {
		lk := strings.ToLower(k)
		if _, dup := out[lk]; !dup {
			out[lk] = m[k]
		}
	}
	return out
}

func lookupFold(m, folded map[string]string, name string) (string, bool) {
	if len(m) == 0 {
		return "", false
	}
	if to, ok := m[name]; ok {
		return to, true
	}
	to, ok := folded[strings.ToLower(name)]
	return to, ok
}

// better orders candidates for one name: sent under the name itself before
// renamed by a field map, earlier mappings first, then order sent.
func better(a, b *rawParam) bool {
	if a.mapped != b.mapped {
		return !a.mapped
	}
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}

// pick finds the winning non-empty scalar: the query before the body, the
// names in the order given, then better().
func (ps *paramSet) pick(names []string, match func(p *rawParam, name string) bool) (string, int) {
	for _, src := range []source{fromQuery, fromBody} {
		for i, name := range names {
			var best *rawParam
			var bestVal string
			for j := range ps.all {
				p := &ps.all[j]
				if p.src != src || p.eff == "" || p.composite || !match(p, name) {
					continue
				}
				v := clean(p.value)
				if v == "" {
					continue
				}
				if best == nil || better(p, best) {
					best, bestVal = p, v
				}
			}
			if best != nil {
				return bestVal, i
			}
		}
	}
	return "", -1
}

// core resolves a core field by its aliases; it returns the value and the
// documented alias that carried it.
func (ps *paramSet) core(list []alias) (string, string) {
	names := make([]string, len(list))
	for i, a := range list {
		names[i] = a.norm
	}
	v, i := ps.pick(names, func(p *rawParam, n string) bool { return p.norm == n })
	if i < 0 {
		return "", ""
	}
	return v, list[i].name
}

// exact resolves a field whose names match exactly as written.
func (ps *paramSet) exact(names []string) string {
	v, _ := ps.pick(names, func(p *rawParam, n string) bool { return p.eff == n })
	return v
}

// exactAny is exact() for fields that may be JSON composites (items).
func (ps *paramSet) exactAny(names []string) (rawParam, bool) {
	for _, src := range []source{fromQuery, fromBody} {
		for _, name := range names {
			var best *rawParam
			for j := range ps.all {
				p := &ps.all[j]
				if p.src != src || p.eff != name || clean(p.value) == "" {
					continue
				}
				if best == nil || better(p, best) {
					best = p
				}
			}
			if best != nil {
				return *best, true
			}
		}
	}
	return rawParam{}, false
}

// passthrough collects xat_ parameters: exact prefix, non-empty scalars,
// first occurrence of a name wins, first maxPassthrough in the order sent.
func (ps *paramSet) passthrough() []Param {
	var out []Param
	seen := map[string]bool{}
	for _, p := range ps.all {
		if !strings.HasPrefix(p.eff, passthroughPrefix) || p.composite {
			continue
		}
		name := strings.TrimPrefix(p.eff, passthroughPrefix)
		v := clean(p.value)
		if name == "" || v == "" || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, Param{Name: name, Value: v})
		if len(out) == maxPassthrough {
			break
		}
	}
	return out
}

// logParams is everything received, in order, under the names it was sent.
func (ps *paramSet) logParams() []Param {
	out := make([]Param, len(ps.all))
	for i, p := range ps.all {
		out[i] = Param{Name: p.name, Value: p.value}
	}
	return out
}
