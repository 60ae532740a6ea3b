package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"

	"github.com/convrelay/convrelay/internal/devstack"
)

// otlpReceiver is an in-process OTLP/gRPC trace collector on 127.0.0.1.
type otlpReceiver struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans map[string][]string // trace id -> span names
}

func (r *otlpReceiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				id := hex.EncodeToString(sp.GetTraceId())
				r.spans[id] = append(r.spans[id], sp.GetName())
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// traceWith returns the span names of the trace that has a span named first.
func (r *otlpReceiver) traceWith(first string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, names := range r.spans {
		for _, n := range names {
			if strings.HasPrefix(n, first) {
				return append([]string(nil), names...)
			}
		}
	}
	return nil
}

// TestOneTraceFollowsAPostback: with an OTLP endpoint configured, the intake's
// request, the hand-over to Temporal, the workflow's handling of the postback
// signal, its database steps and the delivery activity are spans of one trace,
// received by an in-process collector.
func TestOneTraceFollowsAPostback(t *testing.T) {
	recv := &otlpReceiver{spans: map[string][]string{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, recv)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer hook.Close()

	st := startStack(t, t.TempDir(), devstack.Options{UIPort: -2}, map[string]string{"CONVRELAY_OTLP_ENDPOINT": "http://" + ln.Addr().String()})
	if code, body := st.admin("POST", "/destinations", `{"type":"webhook","name":"crm","config":{"url":"`+hook.URL+`"}}`); code != http.StatusCreated {
		t.Fatalf("create destination: %d %v", code, body)
	}
	code, body := st.call("GET", "/"+st.info.AccountID+"/collect/demo?click_id=tr-1&transaction_id=TRACE-1&commission=3&token="+st.info.DemoToken, "", "")
	if code != http.StatusOK {
		t.Fatalf("postback answered %d %v", code, body)
	}
	want := []string{"GET /" + st.info.AccountID + "/collect/demo", "hand over postback", "SignalWithStartWorkflow:ConversionWorkflow",
		"HandleSignal:postback", "RunActivity:Prepare", "RunActivity:Record", "RunActivity:Deliver"}
	eventually(t, "one trace from intake to delivery", 60*time.Second, func() error {
		names := recv.traceWith(want[0])
		for _, w := range want {
			found := false
			for _, n := range names {
				found = found || strings.HasPrefix(n, w)
			}
			if !found {
				return fmt.Errorf("trace of the intake request lacks %q: has %v (all: %v)", w, names, recv.all())
			}
		}
		return nil
	})
}

func (r *otlpReceiver) all() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for k, v := range r.spans {
		out[k] = append([]string(nil), v...)
	}
	return out
}
