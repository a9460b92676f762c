package tlsconfig

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// DefaultReloadInterval is how often, at most, the files are checked for
// changes. Checks happen on handshakes, so an idle process does no I/O.
const DefaultReloadInterval = 5 * time.Second

// Options tune how files are watched.
type Options struct {
	// ReloadInterval bounds how often the files are checked; zero means
	// DefaultReloadInterval.
	ReloadInterval time.Duration
	// Logger reports reloads and files that fail to load; nil means
	// slog.Default().
	Logger *slog.Logger
}

func (o Options) interval() time.Duration {
	if o.ReloadInterval <= 0 {
		return DefaultReloadInterval
	}
	return o.ReloadInterval
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.Default()
	}
	return o.Logger
}

// watched is a value parsed from a set of files and re-parsed when any of
// them changes. A change that does not parse (a file caught half written,
// a certificate whose key has not been replaced yet) keeps the previous
// value and is retried at the next check.
type watched[T any] struct {
	paths    []string
	parse    func(contents [][]byte) (T, error)
	interval time.Duration
	logger   *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	current T
	stamps  []os.FileInfo
	checked time.Time
}

func watch[T any](opts Options, parse func([][]byte) (T, error), paths ...string) (*watched[T], error) {
	w := &watched[T]{paths: paths, parse: parse, interval: opts.interval(), logger: opts.logger(), now: time.Now}
	value, stamps, err := w.load()
	if err != nil {
		return nil, err
	}
	w.current, w.stamps, w.checked = value, stamps, w.now()
	return w, nil
}

// get returns the current value, first reloading it if the interval has
// passed since the last check and a file has changed.
func (w *watched[T]) get() T {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	if now.Sub(w.checked) < w.interval {
		return w.current
	}
	w.checked = now
	changed, err := w.changed()
	if err == nil && changed {
		var value T
		var stamps []os.FileInfo
		if value, stamps, err = w.load(); err == nil {
			w.current, w.stamps = value, stamps
			w.logger.Info("TLS files reloaded", "files", w.paths)
		}
	}
	if err != nil {
		w.logger.Warn("TLS files changed but cannot be loaded; keeping the previous ones", "files", w.paths, "error", err)
	}
	return w.current
}

// changed compares each file's identity, size and modification time with
// the last load. Identity matters because Kubernetes swaps a Secret
// volume's files through a symlink: the new file may have the same size
// and, within the clock's resolution, the same time.
func (w *watched[T]) changed() (bool, error) {
	for i, path := range w.paths {
		info, err := os.Stat(path)
		if err != nil {
			return false, err
		}
		old := w.stamps[i]
		if !os.SameFile(old, info) || old.Size() != info.Size() || !old.ModTime().Equal(info.ModTime()) {
			return true, nil
		}
	}
	return false, nil
}

// load stats and then reads every file. Stamps taken before reading can
// only make a later check see a change that was already loaded, which
// costs one extra reload, never a missed one.
func (w *watched[T]) load() (T, []os.FileInfo, error) {
	var zero T
	stamps := make([]os.FileInfo, len(w.paths))
	contents := make([][]byte, len(w.paths))
	for i, path := range w.paths {
		info, err := os.Stat(path)
		if err != nil {
			return zero, nil, err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return zero, nil, err
		}
		stamps[i], contents[i] = info, b
	}
	value, err := w.parse(contents)
	if err != nil {
		return zero, nil, fmt.Errorf("%v: %w", w.paths, err)
	}
	return value, stamps, nil
}
