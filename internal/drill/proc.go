package drill

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// proc is one product subprocess (`convrelay api` or `convrelay worker`) with its
// output appended to a log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan error
	log  string
}

func startProc(name, bin string, args, env []string, logPath string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	fmt.Fprintf(f, "\n=== %s %v started %s\n", name, args, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	// If the drill dies, its subprocesses die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan error, 1), log: logPath}
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(f, "=== %s exited %s: %v\n", name, time.Now().Format(time.RFC3339Nano), err)
		f.Close()
		p.done <- err
	}()
	return p, nil
}

// exited reports whether the process has ended, and how.
func (p *proc) exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

// kill sends SIGKILL, as a crash or an OOM kill would, and waits for the exit.
func (p *proc) kill() error {
	if ok, _ := p.exited(); ok {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	select {
	case <-p.waitChan():
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s did not exit 10s after SIGKILL", p.name)
	}
}

// stop sends SIGTERM and waits for a graceful exit, killing after timeout.
func (p *proc) stop(timeout time.Duration) error {
	if ok, _ := p.exited(); ok {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.waitChan():
		return nil
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.waitChan()
		return fmt.Errorf("%s did not stop within %s after SIGTERM; killed", p.name, timeout)
	}
}

// waitChan is closed once the process has exited.
func (p *proc) waitChan() <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		err := <-p.done
		p.done <- err
		close(ch)
	}()
	return ch
}

func (p *proc) pid() int { return p.cmd.Process.Pid }
