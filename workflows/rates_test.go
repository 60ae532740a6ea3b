package workflows_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/workflows"
)

// TestRatesWorkflow runs the scheduled workflow against a fake ECB source and a
// real database: the rates end up stored.
func TestRatesWorkflow(t *testing.T) {
	st := pgtest.NewStore(t)
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-03-10"><Cube currency="USD" rate="1.0850"/></Cube></Cube></gesmes:Envelope>`))
	}))
	defer src.Close()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Rates{Store: st, Client: src.Client(), URL: src.URL})
	env.ExecuteWorkflow(workflows.RatesWorkflow)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res activities.FetchRatesResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Rates != 1 || res.Latest != "2026-03-10" {
		t.Fatalf("result %+v, %v", res, err)
	}
	r, d, ok, err := st.Rate(context.Background(), "EUR", "USD", d10)
	if err != nil || !ok || r.String() != "1.085" || d.Format("2006-01-02") != "2026-03-10" {
		t.Fatalf("stored rate %v %v %v %v", r, d, ok, err)
	}
}

var d10 = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
