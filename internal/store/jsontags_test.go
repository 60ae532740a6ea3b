package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// marshalledRows are the row types that carry JSON tags, and who marshals
// them. Every other row is shown through a view of its adapter (api/views.go),
// so a JSON tag on it would be a second, unused contract.
var marshalledRows = map[string]string{
	"APIKey":           "the audit log (admin.Service.Record), the key answers (api.apiKey embeds it)",
	"AuditEntry":       "GET /audit",
	"Campaign":         "the audit log",
	"CampaignSettings": "the campaign request and answer, the audit log (in Campaign)",
	"Cap":              "the campaign request and answer",
	"CapUsage":         "the campaign answer",
	"Cost":             "the POST /costs answer",
	"Integration":      "the audit log, the integration answers (api.apiIntegration embeds it)",
	"IntegrationToken": "the audit log (json:\"-\" keeps secrets out)",
	"OfferDomain":      "the tag settings request and answer",
	"User":             "GET /users, the audit log",
}

func TestOnlyMarshalledRowsHaveJSONTags(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			for _, fld := range st.Fields.List {
				if fld.Tag == nil {
					continue
				}
				tag := reflect.StructTag(strings.Trim(fld.Tag.Value, "`"))
				if _, has := tag.Lookup("json"); has && marshalledRows[ts.Name.Name] == "" {
					t.Errorf("%s: %s has JSON tags but nothing marshals it (add it to marshalledRows with who does)", name, ts.Name.Name)
					return false
				}
			}
			return true
		})
	}
}
