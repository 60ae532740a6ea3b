package config_test

import (
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/workflows"
)

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
		db, err := url.Parse(svc.Environment["DATABASE_URL"])
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
