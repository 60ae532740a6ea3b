package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
		{[]string{"api", "--help"}, []string{"Usage: convrelay api", "DATABASE_URL", "TEMPORAL_ADDRESS", "HTTP_ADDR", "CONVRELAY_DISPATCH_WINDOW"}},
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
