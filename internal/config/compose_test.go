package config_test

import (
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/workflows"
)

// interpolated replaces compose's ${VAR}, ${VAR:?msg} and ${VAR:-default}
// with a plain value, as compose would with the variable set.
func interpolated(v string) string {
	return composeVar.ReplaceAllString(v, "set-by-the-operator")
}

var composeVar = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}`)

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     any               `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Deploy      struct {
			Replicas int `yaml:"replicas"`
		} `yaml:"deploy"`
	} `yaml:"services"`
}

// TestComposeAgreesWithConfig checks docker-compose.yml against the config code:
// every variable the Convrelay services set is one the code reads, and the
// addresses they point at are services of the file on the right ports.
func TestComposeAgreesWithConfig(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	known := config.KnownVariables()
	for _, name := range []string{"api", "worker", "migrate"} {
		svc, ok := f.Services[name]
		if !ok {
			t.Fatalf("service %s missing", name)
		}
		for k := range svc.Environment {
			if !slices.Contains(known, k) {
				t.Errorf("%s sets %s, which the config does not read", name, k)
			}
		}
		db, err := url.Parse(interpolated(svc.Environment["DATABASE_URL"]))
		if err != nil || db.Hostname() != "postgres" || db.Port() != "5432" {
			t.Errorf("%s DATABASE_URL %q must point at postgres:5432", name, svc.Environment["DATABASE_URL"])
		}
		if name == "migrate" {
			continue
		}
		host, port, err := net.SplitHostPort(svc.Environment["TEMPORAL_ADDRESS"])
		if err != nil || host != "temporal" || port != "7233" {
			t.Errorf("%s TEMPORAL_ADDRESS must be temporal:7233", name)
		}
	}
	if !strings.HasPrefix(f.Services["postgres"].Image, "postgres:") {
		t.Errorf("postgres service image = %q", f.Services["postgres"].Image)
	}
	_, apiPort, _ := net.SplitHostPort(f.Services["api"].Environment["HTTP_ADDR"])
	if !slices.ContainsFunc(f.Services["api"].Ports, func(p string) bool { return strings.HasSuffix(p, ":"+apiPort) }) {
		t.Errorf("api listens on %s but does not publish it: %v", apiPort, f.Services["api"].Ports)
	}
	// Nothing is published beyond this machine, and the database password is
	// the operator's, required, with no default.
	for name, svc := range f.Services {
		for _, p := range svc.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s publishes %s on every address, want 127.0.0.1 only", name, p)
			}
		}
	}
	if pw := f.Services["postgres"].Environment["POSTGRES_PASSWORD"]; !strings.HasPrefix(pw, "${CONVRELAY_DB_PASSWORD:?") {
		t.Errorf("POSTGRES_PASSWORD = %q, want ${CONVRELAY_DB_PASSWORD:?...} (required, no default)", pw)
	}
	if !slices.ContainsFunc(f.Services["temporal"].Ports, func(p string) bool { return strings.HasSuffix(p, ":7233") }) {
		t.Errorf("temporal does not publish 7233")
	}
	if f.Services["worker"].Deploy.Replicas < 2 {
		t.Errorf("worker replicas = %d, want 2", f.Services["worker"].Deploy.Replicas)
	}
	cmd := strings.Join(toStrings(f.Services["temporal-search-attributes"].Command), " ")
	for _, a := range workflows.SearchAttributeNames {
		if !strings.Contains(cmd, a) {
			t.Errorf("compose does not create search attribute %s", a)
		}
	}
}

func toStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// TestComposeIsClosedAndSupported: Temporal's frontend and UI are published on
// 127.0.0.1 only, the images are the supported ones (no auto-setup) at the
// versions the dev stack links (go.mod), and the image excludes local data.
func TestComposeIsClosedAndSupported(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	version := func(module string) string {
		for _, line := range strings.Split(string(gomod), "\n") {
			if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == module {
				return strings.TrimPrefix(fields[1], "v")
			}
		}
		t.Fatalf("go.mod has no %s", module)
		return ""
	}
	server, ui := version("go.temporal.io/server"), version("github.com/temporalio/ui-server/v2")
	for name, want := range map[string]string{
		"temporal": "temporalio/server:" + server, "temporal-schema": "temporalio/admin-tools:" + server,
		"temporal-search-attributes": "temporalio/admin-tools:" + server, "temporal-ui": "temporalio/ui:" + ui,
	} {
		if got := f.Services[name].Image; got != want {
			t.Errorf("%s image = %q, want %q", name, got, want)
		}
	}
	for name, svc := range f.Services {
		if strings.Contains(svc.Image, "auto-setup") {
			t.Errorf("%s uses the deprecated auto-setup image", name)
		}
	}
	for _, name := range []string{"temporal", "temporal-ui"} {
		for _, p := range f.Services[name].Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s publishes %q beyond this machine", name, p)
			}
		}
	}
	cmd := strings.Join(toStrings(f.Services["temporal-search-attributes"].Command), " ")
	if !strings.Contains(cmd, "set -eu") || strings.Contains(cmd, "|| true") || !strings.Contains(cmd, "exit 1") {
		t.Errorf("the search attribute step must fail loudly: %s", cmd)
	}
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{".data/", "bin/", "artifacts/"} {
		if !slices.Contains(strings.Fields(string(ignore)), dir) {
			t.Errorf(".dockerignore does not exclude %s", dir)
		}
	}
}
