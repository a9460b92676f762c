package token

import (
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/errs"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// Why a watcher's stream ends.
var (
	errWatchLagging = errs.New(errs.ErrAborted, "WATCH_LAGGING",
		"the event stream fell behind and was closed: drop cached validations and reconnect")
	errWatchClosed = errs.New(errs.ErrUnavailable, "SHUTTING_DOWN",
		"the token service is shutting down: drop cached validations and reconnect")
)

// hub broadcasts token events to every watcher. Publishing never blocks:
// each watcher has a bounded buffer, and one that falls behind is dropped
// (its stream ends, so its gateway resyncs) rather than slowing writers.
type hub struct {
	buffer int

	mu       sync.Mutex
	watchers map[*watcher]struct{}
	closed   bool
}

// watcher is one subscription.
type watcher struct {
	events chan *tokenv1.WatchTokenEventsResponse
	done   chan struct{} // closed when the hub drops the watcher
	reason error         // why it was dropped; set before done closes
}

func newHub(buffer int) *hub {
	return &hub{buffer: buffer, watchers: map[*watcher]struct{}{}}
}

// subscribe adds a watcher; after close it fails with errWatchClosed.
func (h *hub) subscribe() (*watcher, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errWatchClosed
	}
	w := &watcher{events: make(chan *tokenv1.WatchTokenEventsResponse, h.buffer), done: make(chan struct{})}
	h.watchers[w] = struct{}{}
	return w, nil
}

// unsubscribe removes a watcher that is leaving on its own.
func (h *hub) unsubscribe(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.watchers, w)
}

// publish sends an event to every watcher.
func (h *hub) publish(kind tokenv1.TokenEventKind, name string, at time.Time) {
	ev := &tokenv1.WatchTokenEventsResponse{Kind: kind, Name: name, EventTime: timestamppb.New(at)}
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers {
		select {
		case w.events <- ev:
		default:
			h.drop(w, errWatchLagging)
		}
	}
}

// close ends every stream and refuses new ones; it is idempotent.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for w := range h.watchers {
		h.drop(w, errWatchClosed)
	}
}

// drop removes w; h.mu must be held.
func (h *hub) drop(w *watcher, reason error) {
	delete(h.watchers, w)
	w.reason = reason
	close(w.done)
}
