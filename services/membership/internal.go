package membership

import (
	"context"
	"math"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/resource"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

// DecideAccess tells another service a user's effective privilege on a
// target, given the target's owner as the tenancy service knows it.
func (s *Service) DecideAccess(ctx context.Context, req *membershipv1.DecideAccessRequest) (*membershipv1.DecideAccessResponse, error) {
	if err := auth.RequireService(ctx); err != nil {
		return nil, err
	}
	t, err := resource.ParseTarget("target", req.GetTarget())
	if err != nil {
		return nil, err
	}
	d, err := s.decideFor(ctx, auth.NormalizeEmail(req.GetUser()), auth.NormalizeEmail(req.GetOwner()), t)
	if err != nil {
		return nil, err
	}
	return &membershipv1.DecideAccessResponse{Privilege: d.Privilege, DecidedBy: d.Rule}, nil
}

// ListGrants tells another service in which accounts a user is a member,
// and with what privileges.
func (s *Service) ListGrants(ctx context.Context, req *membershipv1.ListGrantsRequest) (*membershipv1.ListGrantsResponse, error) {
	if err := auth.RequireService(ctx); err != nil {
		return nil, err
	}
	members, err := s.store.ListMembersByEmail(ctx, auth.NormalizeEmail(req.GetUser()))
	if err != nil {
		return nil, err
	}
	resp := &membershipv1.ListGrantsResponse{Grants: make([]*membershipv1.Grant, 0, len(members))}
	for _, m := range members {
		resp.Grants = append(resp.Grants, &membershipv1.Grant{
			Owner:            m.GetOwner(),
			AccessPrivilege:  m.GetAccessPrivilege(),
			ExceptionalCases: m.GetExceptionalCases(),
		})
	}
	return resp, nil
}

// ForgetTarget drops the exceptional cases of a deleted organization or
// device, so that a later target with the same name inherits nothing.
func (s *Service) ForgetTarget(ctx context.Context, req *membershipv1.ForgetTargetRequest) (*membershipv1.ForgetTargetResponse, error) {
	if err := auth.RequireService(ctx); err != nil {
		return nil, err
	}
	t, err := resource.ParseTarget("target", req.GetTarget())
	if err != nil {
		return nil, err
	}
	removed, err := s.store.ForgetTarget(ctx, t)
	if err != nil {
		return nil, err
	}
	return &membershipv1.ForgetTargetResponse{RemovedCases: int32(min(removed, math.MaxInt32))}, nil
}
