// Package archtest holds tests of the project's shape: which package may
// import which, and which may start or signal a transaction's workflow.
package archtest

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/convrelay/convrelay"

type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Deps       []string
}

func goList(t *testing.T, args ...string) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// The use cases live below HTTP: the intake pipeline and the admin layer never
// depend on an adapter (the API, the console), nor on Gin.
func TestUseCasesDoNotImportAdapters(t *testing.T) {
	for _, p := range goList(t, "-deps=false", "./internal/intake", "./internal/admin") {
		for _, d := range goList(t, "-deps", p.ImportPath) {
			switch {
			case d.ImportPath == module+"/api", strings.HasPrefix(d.ImportPath, module+"/api/"),
				d.ImportPath == module+"/console", strings.HasPrefix(d.ImportPath, module+"/console/"),
				strings.HasPrefix(d.ImportPath, "github.com/gin-gonic/"):
				t.Errorf("%s depends on %s", p.ImportPath, d.ImportPath)
			}
		}
	}
}

// signallers may start or signal workflows outside internal/dispatch: the
// bench's ceiling phase drives trivial workflows of its own, never a
// transaction's.
var signallers = map[string]bool{
	module + "/internal/dispatch": true,
	module + "/internal/bench":    true,
}

// Only internal/dispatch hands work to a transaction's workflow: no other
// product package calls the Temporal client's SignalWithStartWorkflow or
// SignalWorkflow.
func TestOnlyDispatchSignalsTransactions(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	for _, p := range goList(t, "./...") {
		if signallers[p.ImportPath] {
			continue
		}
		for _, f := range p.GoFiles { // GoFiles excludes _test.go files
			file, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			ast.Inspect(file, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok &&
					(sel.Sel.Name == "SignalWithStartWorkflow" || sel.Sel.Name == "SignalWorkflow") {
					t.Errorf("%s calls %s: hand work to a transaction's workflow through internal/dispatch",
						fset.Position(call.Pos()), sel.Sel.Name)
				}
				return true
			})
		}
	}
	if checked < 50 {
		t.Fatalf("checked only %d files: the package list is wrong", checked)
	}
}
