//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package boltdb

import (
	"fmt"
	"os"
	"runtime"
)

// lockExclusive refuses on platforms without flock: replacing a file that
// might be in use is worse than not restoring in place.
func lockExclusive(f *os.File) error {
	return fmt.Errorf("cannot check whether the file is in use on %s, refusing to replace it", runtime.GOOS)
}
