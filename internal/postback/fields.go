package postback

// Identity field names, as IdentityFields reports them.
const (
	IdentityClickID   = "click_id"
	IdentityRefID     = "ref_id"
	IdentityEmail     = "email"
	IdentityVisitorID = "visitor_id"
)

// IdentityParam is one received parameter that names a person.
type IdentityParam struct {
	Field string // one of the Identity* names
	Value string
}

// IdentityFields reads a stored request (query and body, the body's format
// guessed from its shape) without validating it, and returns the parameters
// that identify a person under the integration's field map, its preset and the
// documented aliases, plus every parameter as received. It serves tools that
// search stored requests, such as erasure, for rows that could not be parsed;
// a body that cannot be read contributes nothing.
func IdentityFields(req Request, integ Integration) (ids []IdentityParam, all []Param) {
	query := parseQuery(req.RawQuery, fromQuery)
	body, err := parseBody(req.Body, req.ContentType)
	if err != nil {
		body = nil
	}
	ps := newParamSet(query, body, integ.FieldMap, lookupPreset(integ.Preset))
	for _, p := range ps.all {
		all = append(all, Param{Name: p.name, Value: p.value})
		if p.composite || p.value == "" {
			continue
		}
		if f := identityOf(p.norm, p.eff); f != "" {
			ids = append(ids, IdentityParam{Field: f, Value: p.value})
		}
	}
	return ids, all
}

func identityOf(norm, eff string) string {
	for _, l := range []struct {
		field string
		list  []alias
	}{{IdentityClickID, aliasClickID}, {IdentityRefID, aliasRefID}, {IdentityVisitorID, aliasVisitor}} {
		for _, a := range l.list {
			if a.norm == norm {
				return l.field
			}
		}
	}
	for _, n := range nameEmail {
		if n == eff {
			return IdentityEmail
		}
	}
	return ""
}
