package token

import (
	"github.com/tollgate/tollgate/pkg/auth"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// WatchTokenEvents streams revocations, rotations and grace-period ends: a
// HEARTBEAT first (the stream is live: events from here on are delivered)
// and then every heartbeat interval, so a gateway notices a dead stream.
// Whenever the stream ends, the gateway must drop its cached validations
// before reconnecting, since it may have missed events.
func (s *Service) WatchTokenEvents(_ *tokenv1.WatchTokenEventsRequest, stream grpc.ServerStreamingServer[tokenv1.WatchTokenEventsResponse]) error {
	ctx := stream.Context()
	if err := auth.RequireService(ctx); err != nil {
		return err
	}
	w, err := s.events.subscribe()
	if err != nil {
		return err
	}
	defer s.events.unsubscribe(w)
	heartbeat := func() error {
		return stream.Send(&tokenv1.WatchTokenEventsResponse{Kind: tokenv1.TokenEventKind_TOKEN_EVENT_KIND_HEARTBEAT, EventTime: timestamppb.New(s.now())})
	}
	if err := heartbeat(); err != nil {
		return err
	}
	tick := time.NewTicker(s.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.done:
			return w.reason
		case ev := <-w.events:
			if err := stream.Send(ev); err != nil {
				return err
			}
		case <-tick.C:
			if err := heartbeat(); err != nil {
				return err
			}
		}
	}
}
