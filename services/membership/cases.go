package membership

import (
	"context"
	"errors"
	"fmt"

	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

// grantable reports whether an owner may grant p: OWNER is only ever
// decided, never granted, and UNSPECIFIED means nothing.
func grantable(p membershipv1.Privilege) bool {
	switch p {
	case membershipv1.Privilege_PRIVILEGE_NONE, membershipv1.Privilege_PRIVILEGE_MEMBER, membershipv1.Privilege_PRIVILEGE_ADMIN:
		return true
	}
	return false
}

// checkPrivilege repeats the request validation's privilege rule: granting
// OWNER would be an escalation, so the handler does not rely on the
// interceptor alone.
func checkPrivilege(field string, p membershipv1.Privilege) error {
	if grantable(p) {
		return nil
	}
	return errs.Invalid(field, "INVALID_PRIVILEGE", fmt.Sprintf("%s must be PRIVILEGE_NONE, PRIVILEGE_MEMBER or PRIVILEGE_ADMIN", field))
}

// checkCases validates exceptional cases for owner's account: each names an
// organization or device at most once, grants a grantable privilege, and
// points at a target the owner has. It returns copies safe to store.
func (s *Service) checkCases(ctx context.Context, owner string, cases []*membershipv1.ExceptionalCase) ([]*membershipv1.ExceptionalCase, error) {
	out := make([]*membershipv1.ExceptionalCase, 0, len(cases))
	seen := make(map[string]bool, len(cases))
	for i, c := range cases {
		field := fmt.Sprintf("member.exceptional_cases[%d]", i)
		t, err := resource.ParseTarget(field+".target", c.GetTarget())
		if err != nil {
			return nil, err
		}
		if seen[t.Name()] {
			return nil, errs.Invalid(field+".target", "DUPLICATE_TARGET",
				fmt.Sprintf("%s.target: %q already has an exceptional case in this member", field, t.Name()))
		}
		seen[t.Name()] = true
		if err := checkPrivilege(field+".privilege", c.GetPrivilege()); err != nil {
			return nil, err
		}
		out = append(out, &membershipv1.ExceptionalCase{Target: t.Name(), Privilege: c.GetPrivilege()})
	}
	// Targets are resolved only once everything local is known to be
	// right, so a malformed request costs no calls to the tenancy service.
	for i, c := range out {
		owned, err := s.ownsTarget(ctx, owner, c.GetTarget())
		if err != nil {
			return nil, err
		}
		if !owned {
			field := fmt.Sprintf("member.exceptional_cases[%d].target", i)
			return nil, errs.Invalid(field, "UNKNOWN_TARGET",
				fmt.Sprintf("%s: %q is not one of your organizations or devices", field, c.GetTarget()))
		}
	}
	return out, nil
}

// ownsTarget reports whether target exists and belongs to owner. A missing
// target and another owner's look the same, so that owners cannot learn
// about each other's organizations and devices.
func (s *Service) ownsTarget(ctx context.Context, owner, target string) (bool, error) {
	targetOwner, err := s.targets.OwnerOf(ctx, target)
	switch {
	case errors.Is(err, errs.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return targetOwner == owner, nil
}
