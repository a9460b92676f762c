package membership

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/errs"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// tenancyTargets asks the tenancy service who owns a target, on every
// call: no cache, so a deleted target is unknown at once.
type tenancyTargets struct {
	client tenancyv1.TenancyServiceClient
}

func (t tenancyTargets) OwnerOf(ctx context.Context, target string) (string, error) {
	resp, err := t.client.ResolveTarget(auth.AsSelf(ctx), &tenancyv1.ResolveTargetRequest{Target: target})
	if status.Code(err) == codes.NotFound {
		return "", fmt.Errorf("target %q: %w", target, errs.ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	return resp.GetOwner(), nil
}
