package token

import (
	"context"
	"github.com/tollgate/tollgate/pkg/auth"

	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// DeleteDeviceTokens removes every token of a deleted device, announcing
// each as REVOKED.
func (s *Service) DeleteDeviceTokens(ctx context.Context, req *tokenv1.DeleteDeviceTokensRequest) (*tokenv1.DeleteDeviceTokensResponse, error) {
	if err := auth.RequireService(ctx); err != nil {
		return nil, err
	}
	deleted, err := s.store.DeleteDeviceTokens(ctx, req.GetDevice())
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, t := range deleted {
		s.events.publish(tokenv1.TokenEventKind_TOKEN_EVENT_KIND_REVOKED, t.Name, now)
	}
	if len(deleted) > 0 {
		s.logger.InfoContext(ctx, "api tokens of a deleted device removed", "device", req.GetDevice(), "tokens", len(deleted))
	}
	return &tokenv1.DeleteDeviceTokensResponse{DeletedTokens: int32(len(deleted))}, nil
}
