//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package devtemporal

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDataDir takes an exclusive advisory lock on DataDir so two servers
// (in one process or two) never share the SQLite files: both would claim
// every history shard. Closing the file releases the lock.
func lockDataDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("devtemporal: opening %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("devtemporal: DataDir %s is in use by another devtemporal server: %w", dir, err)
	}
	return func() { _ = f.Close() }, nil
}
