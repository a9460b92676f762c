package token

import (
	"context"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// GetCallerToken describes the token the request was made with. The quota
// is left empty: rate limits live in the gateway, which fills it in.
func (s *Service) GetCallerToken(ctx context.Context, _ *tokenv1.GetCallerTokenRequest) (*tokenv1.GetCallerTokenResponse, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind != auth.KindToken {
		return nil, errs.New(errs.ErrPermissionDenied, "TOKEN_REQUIRED",
			"this method describes the API token a request is made with: call it with an API token")
	}
	_, id, err := resource.ParseToken("token", p.TokenName)
	if err != nil {
		return nil, errTokenInvalid
	}
	t, err := s.store.GetToken(ctx, id)
	if err != nil {
		return nil, invalidIfNotFound(err)
	}
	if t.Name != p.TokenName || t.Device != p.Device {
		return nil, errTokenInvalid
	}
	target, err := s.resolveDevice(ctx, t.Device)
	if err != nil {
		return nil, invalidIfNotFound(err)
	}
	return &tokenv1.GetCallerTokenResponse{
		ApiToken:          toProto(t, s.now()),
		Device:            t.Device,
		Organization:      target.GetOrganization().GetName(),
		LicenseExpireTime: target.GetDevice().GetLicense().GetExpireTime(),
	}, nil
}
