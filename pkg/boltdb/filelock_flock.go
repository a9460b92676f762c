//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package boltdb

import (
	"errors"
	"os"
	"syscall"
)

// lockExclusive takes the same flock bbolt uses, without waiting, so it
// conflicts with both read-write and read-only holders.
func lockExclusive(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrLocked
	}
	return err
}
