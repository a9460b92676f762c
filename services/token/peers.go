package token

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/pkg/access"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/errs"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// Targets is the part of the tenancy service this service calls.
type Targets interface {
	ResolveTarget(ctx context.Context, in *tenancyv1.ResolveTargetRequest, opts ...grpc.CallOption) (*tenancyv1.ResolveTargetResponse, error)
}

// Decider is the part of the membership service this service calls.
type Decider interface {
	DecideAccess(ctx context.Context, in *membershipv1.DecideAccessRequest, opts ...grpc.CallOption) (*membershipv1.DecideAccessResponse, error)
}

// resolveDevice asks tenancy about a device. A missing device is
// errs.ErrNotFound; an unreachable tenancy is UNAVAILABLE, so that callers
// never mistake an outage for a verdict.
func (s *Service) resolveDevice(ctx context.Context, device string) (*tenancyv1.ResolveTargetResponse, error) {
	resp, err := s.tenancy.ResolveTarget(auth.AsSelf(ctx), &tenancyv1.ResolveTargetRequest{Target: device})
	if err != nil {
		return nil, peerError(component.Tenancy, err)
	}
	if resp.GetDevice() == nil {
		return nil, fmt.Errorf("tenancy resolved device %s without the device", device)
	}
	return resp, nil
}

// decide returns the user's effective privilege on a device owned by owner.
func (s *Service) decide(ctx context.Context, user, owner, device string) (access.Decision, error) {
	if user == owner {
		return access.Owner, nil
	}
	resp, err := s.access.DecideAccess(auth.AsSelf(ctx), &membershipv1.DecideAccessRequest{User: user, Owner: owner, Target: device})
	if err != nil {
		return access.Decision{}, peerError(component.Membership, err)
	}
	return access.Decision{Privilege: resp.GetPrivilege(), Rule: resp.GetDecidedBy()}, nil
}

// peerError turns a peer's status into this service's vocabulary. Peer
// statuses are not passed through: a peer's PERMISSION_DENIED or
// INVALID_ARGUMENT is our bug, not the caller's.
func peerError(peer string, err error) error {
	st := status.Convert(err)
	switch st.Code() {
	case codes.NotFound:
		return fmt.Errorf("%s: %s: %w", peer, st.Message(), errs.ErrNotFound)
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return errs.New(errs.ErrUnavailable, "DEPENDENCY_UNAVAILABLE",
			fmt.Sprintf("the %s service is unavailable; retry shortly", peer))
	case codes.Canceled:
		return context.Canceled
	default:
		return fmt.Errorf("%s answered %s: %s", peer, st.Code(), st.Message())
	}
}
