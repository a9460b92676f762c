package token

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// watch opens an event stream and consumes its first heartbeat.
func (h *harness) watch() grpc.ServerStreamingClient[tokenv1.WatchTokenEventsResponse] {
	h.t.Helper()
	ctx, cancel := context.WithCancel(asGateway())
	h.t.Cleanup(cancel)
	stream, err := h.client.WatchTokenEvents(ctx, &tokenv1.WatchTokenEventsRequest{})
	if err != nil {
		h.t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil || first.GetKind() != tokenv1.TokenEventKind_TOKEN_EVENT_KIND_HEARTBEAT {
		h.t.Fatalf("first event = %v, %v; want a heartbeat", first, err)
	}
	return stream
}

// next returns the next event that is not a heartbeat.
func next(t *testing.T, stream grpc.ServerStreamingClient[tokenv1.WatchTokenEventsResponse]) *tokenv1.WatchTokenEventsResponse {
	t.Helper()
	for {
		ev, err := stream.Recv()
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		if ev.GetKind() != tokenv1.TokenEventKind_TOKEN_EVENT_KIND_HEARTBEAT {
			return ev
		}
	}
}

func wantEvent(t *testing.T, ev *tokenv1.WatchTokenEventsResponse, kind tokenv1.TokenEventKind, name string) {
	t.Helper()
	if ev.GetKind() != kind || ev.GetName() != name {
		t.Fatalf("event %v %q, want %v %q", ev.GetKind(), ev.GetName(), kind, name)
	}
}

func TestWatchStreamsRotationsAndRevocations(t *testing.T) {
	h := newHarness(t)
	stream := h.watch()
	a, _ := h.create(owner, deviceA, "a")
	b, _ := h.create(owner, deviceA, "b")
	c, _ := h.create(owner, deviceB, "c")
	if _, err := h.client.RotateApiToken(asUser(owner), &tokenv1.RotateApiTokenRequest{Name: a.GetName()}); err != nil {
		t.Fatal(err)
	}
	wantEvent(t, next(t, stream), tokenv1.TokenEventKind_TOKEN_EVENT_KIND_ROTATED, a.GetName())
	if _, err := h.client.DeleteApiToken(asUser(owner), &tokenv1.DeleteApiTokenRequest{Name: c.GetName()}); err != nil {
		t.Fatal(err)
	}
	wantEvent(t, next(t, stream), tokenv1.TokenEventKind_TOKEN_EVENT_KIND_REVOKED, c.GetName())

	resp, err := h.client.DeleteDeviceTokens(asGateway(), &tokenv1.DeleteDeviceTokensRequest{Device: deviceA})
	if err != nil || resp.GetDeletedTokens() != 2 {
		t.Fatalf("DeleteDeviceTokens = %v, %v; want 2 deleted", resp, err)
	}
	got := map[string]bool{}
	for range 2 {
		ev := next(t, stream)
		if ev.GetKind() != tokenv1.TokenEventKind_TOKEN_EVENT_KIND_REVOKED {
			t.Fatalf("event %v, want REVOKED", ev)
		}
		got[ev.GetName()] = true
	}
	if !got[a.GetName()] || !got[b.GetName()] {
		t.Fatalf("revoked %v, want both tokens of the device", got)
	}
}

func TestWatchSendsHeartbeats(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.HeartbeatInterval = 20 * time.Millisecond }))
	stream := h.watch()
	for range 2 {
		ev, err := stream.Recv()
		if err != nil || ev.GetKind() != tokenv1.TokenEventKind_TOKEN_EVENT_KIND_HEARTBEAT {
			t.Fatalf("event %v, %v; want heartbeats", ev, err)
		}
	}
}

func TestWatchEndsWhenTheServiceStops(t *testing.T) {
	h := newHarness(t)
	stream := h.watch()
	h.svc.events.close()
	_, err := stream.Recv()
	wantStatus(t, err, codes.Unavailable, "SHUTTING_DOWN")
}

func TestLaggingWatcherIsDroppedWithoutBlockingWriters(t *testing.T) {
	hub := newHub(2)
	slow, err := hub.subscribe()
	if err != nil {
		t.Fatal(err)
	}
	fast, _ := hub.subscribe()
	published := make(chan struct{})
	go func() {
		for i := range 10 {
			hub.publish(tokenv1.TokenEventKind_TOKEN_EVENT_KIND_REVOKED, "t", time.Unix(int64(i), 0))
			if i < 2 {
				<-fast.events // fast keeps up; slow reads nothing
			}
		}
		close(published)
	}()
	select {
	case <-published:
	case <-time.After(5 * time.Second):
		t.Fatal("publish blocked on a slow watcher")
	}
	select {
	case <-slow.done:
		if slow.reason != errWatchLagging {
			t.Fatalf("slow watcher dropped with %v", slow.reason)
		}
	default:
		t.Fatal("the lagging watcher was not dropped")
	}
	hub.close()
	if _, err := hub.subscribe(); err != errWatchClosed {
		t.Fatalf("subscribe after close = %v", err)
	}
}

func TestWatchIsInternal(t *testing.T) {
	h := newHarness(t)
	stream, err := h.client.WatchTokenEvents(asUser(owner), &tokenv1.WatchTokenEventsRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	wantStatus(t, err, codes.PermissionDenied, "INTERNAL_ONLY")
}
