package postback

import (
	"slices"
	"testing"
)

func TestIdentityFieldsReadsNamesLikeTheParser(t *testing.T) {
	for _, tc := range []struct {
		name  string
		req   Request
		integ Integration
		want  []IdentityParam
	}{
		{"aliases, any case", Request{RawQuery: "Click-ID=c1&REF=r1&vid=v1&email=a%40b.c&commission=12&sub1=12"}, Integration{},
			[]IdentityParam{{IdentityClickID, "c1"}, {IdentityRefID, "r1"}, {IdentityVisitorID, "v1"}, {IdentityEmail, "a@b.c"}}},
		{"preset field (Gala affcustomid)", Request{RawQuery: "affcustomid=g1&totalcommission=12"}, Integration{Preset: "galapartners"},
			[]IdentityParam{{IdentityClickID, "g1"}}},
		{"integration field map", Request{RawQuery: "s2=x9"}, Integration{FieldMap: map[string]string{"s2": "ref_id"}},
			[]IdentityParam{{IdentityRefID, "x9"}}},
		{"JSON body", Request{Body: []byte(`{"ref_id": 12, "amount": 12}`)}, Integration{},
			[]IdentityParam{{IdentityRefID, "12"}}},
		{"unreadable body", Request{RawQuery: "hit=h1", Body: []byte(`{"ref_id":`), ContentType: "application/json"}, Integration{},
			[]IdentityParam{{IdentityClickID, "h1"}}},
	} {
		got, all := IdentityFields(tc.req, tc.integ)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if len(all) < len(got) {
			t.Errorf("%s: all params %v", tc.name, all)
		}
	}
}
