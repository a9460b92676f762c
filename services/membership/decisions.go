package membership

import (
	"context"
	"errors"

	"github.com/tollgate/tollgate/pkg/access"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

// CheckAccess explains to an owner what one of their members may do on one
// of their organizations or devices.
func (s *Service) CheckAccess(ctx context.Context, req *membershipv1.CheckAccessRequest) (*membershipv1.CheckAccessResponse, error) {
	m, _, err := s.memberFor(ctx, "name", req.GetName())
	if err != nil {
		return nil, err
	}
	t, err := resource.ParseTarget("target", req.GetTarget())
	if err != nil {
		return nil, err
	}
	owned, err := s.ownsTarget(ctx, m.GetOwner(), t.Name())
	if err != nil {
		return nil, err
	}
	if !owned {
		return nil, notFound("target", req.GetTarget())
	}
	d := decide(grantOf(m), t)
	return &membershipv1.CheckAccessResponse{Privilege: d.Privilege, DecidedBy: d.Rule}, nil
}

// decideFor is the decision for user on a target of owner, read from the
// store on every call.
func (s *Service) decideFor(ctx context.Context, user, owner string, t resource.Target) (access.Decision, error) {
	if user == owner {
		return access.Owner, nil
	}
	m, err := s.store.GetMemberByEmail(ctx, owner, user)
	switch {
	case errors.Is(err, errs.ErrNotFound):
		return access.NotAMember, nil
	case err != nil:
		return access.Decision{}, err
	}
	return decide(grantOf(m), t), nil
}

func grantOf(m *membershipv1.Member) access.Grant {
	return access.GrantFromProto(m.GetAccessPrivilege(), m.GetExceptionalCases())
}

// decide applies the precedence rules of pkg/access to a parsed target.
func decide(g access.Grant, t resource.Target) access.Decision {
	device := ""
	if t.IsDevice() {
		device = t.Name()
	}
	return g.Decide(resource.OrganizationName(t.Org), device)
}
