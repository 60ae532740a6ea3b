package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/convrelay/convrelay/internal/config"
)

// Help and version work without any configuration (no DATABASE_URL).
func TestHelpAndVersionNeedNoConfiguration(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"Usage: convrelay COMMAND", "create-account NAME", "version"}},
		{[]string{"--help"}, []string{"Usage: convrelay COMMAND"}},
		{[]string{"version"}, []string{"convrelay "}},
		{[]string{"--version"}, []string{"convrelay "}},
		{[]string{"api", "--help"}, []string{"Usage: convrelay api", "DATABASE_URL", "TEMPORAL_ADDRESS", "HTTP_ADDR", "CONVRELAY_DISPATCH_WINDOW",
			"CONVRELAY_SECRET_KEY", "(default 127.0.0.1:8080)"}},
		{[]string{"help", "worker"}, []string{"Usage: convrelay worker", "CONVRELAY_WORKER_CONCURRENCY"}},
		{[]string{"migrate", "-h"}, []string{"Usage: convrelay migrate", "DATABASE_URL"}},
	}
	for _, c := range cases {
		var out bytes.Buffer
		if err := realMain(context.Background(), c.args, &out); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Fatalf("%v printed %q, want it to contain %q", c.args, out.String(), w)
			}
		}
	}
}

// Every variable a command's help lists has its line (default and help) in
// config.Settings, and every setting but the dev stack's is listed by a command.
func TestCommandHelpComesFromSettings(t *testing.T) {
	listed := map[string]bool{}
	for _, c := range commands() {
		for _, v := range c.env {
			listed[v] = true
			if s, ok := config.Lookup(v); !ok || s.Help == "" {
				t.Errorf("%s --help lists %s, which has no line in config.Settings", c.name, v)
			}
		}
	}
	for _, s := range config.Settings {
		dev := strings.HasPrefix(s.Name, "CONVRELAY_DEV_") || s.Name == "CONVRELAY_DATA_DIR"
		if !dev && !listed[s.Name] {
			t.Errorf("no command's --help lists %s", s.Name)
		}
	}
}

func TestCommandsWithoutDatabaseSayWhatIsMissing(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	var out bytes.Buffer
	err := realMain(context.Background(), []string{"api"}, &out)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("api without DATABASE_URL: %v", err)
	}
	if err := realMain(context.Background(), []string{"nope"}, &out); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("unknown command: %v", err)
	}
}
