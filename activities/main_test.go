package activities_test

import (
	"os"
	"testing"

	"github.com/convrelay/convrelay/internal/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}
