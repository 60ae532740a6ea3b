package devtemporal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
)

// A port picked for a service and taken by someone else before the server binds it
// (tests in parallel) makes Start pick again instead of failing.
func TestStartPicksAgainWhenAPickedPortIsTaken(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	taken := busy.Addr().(*net.TCPAddr).Port
	picks := 0
	pickPort = func(host string) (int, error) {
		picks++
		if picks == 3 { // the first attempt's history service port
			return taken, nil
		}
		return freePort(host)
	}
	defer func() { pickPort = freePort }()

	s, err := Start(context.Background(), Options{UIPort: -1, Logger: testLogger()})
	if err != nil {
		t.Fatalf("start with a taken port: %v", err)
	}
	defer s.Stop()
	if picks <= 5 {
		t.Fatalf("%d ports picked: the start was not tried again with new ports", picks)
	}
}

func TestPickedPortTaken(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("devtemporal: creating temporal server: panic: %w", fatalError{msg: "Failed to start gRPC listener"}), true},
		{fmt.Errorf("listen: %w", &net.OpError{Op: "listen", Err: syscall.EADDRINUSE}), true},
		{fmt.Errorf("devtemporal: frontend gRPC port 7233 on 127.0.0.1 is not available: %w", syscall.EADDRINUSE), false},
		{errors.New("devtemporal: namespace not ready"), false},
	} {
		if got := pickedPortTaken(c.err); got != c.want {
			t.Errorf("pickedPortTaken(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
