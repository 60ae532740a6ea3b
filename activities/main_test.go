package activities_test

import (
	"testing"

	"github.com/convrelay/convrelay/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
