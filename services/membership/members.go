package membership

import (
	"context"
	"errors"
	"fmt"
	"github.com/tollgate/tollgate/pkg/pagetoken"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

func (s *Service) CreateMember(ctx context.Context, req *membershipv1.CreateMemberRequest) (*membershipv1.CreateMemberResponse, error) {
	owner, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetMember()
	email := auth.NormalizeEmail(in.GetEmail())
	switch {
	case email == "":
		return nil, errs.Invalid("member.email", "REQUIRED_FIELD", "member.email is required")
	case !auth.ValidEmail(email):
		return nil, errs.Invalid("member.email", "INVALID_EMAIL", fmt.Sprintf("member.email: %q is not a valid email address", in.GetEmail()))
	case email == owner:
		return nil, errs.Invalid("member.email", "CANNOT_ADD_SELF", "you cannot add your own email: as the owner you already have full rights")
	}
	if err := checkPrivilege("member.access_privilege", in.GetAccessPrivilege()); err != nil {
		return nil, err
	}
	cases, err := s.checkCases(ctx, owner, in.GetExceptionalCases())
	if err != nil {
		return nil, err
	}
	id := resource.NewID()
	now := timestamppb.New(s.now())
	m := &membershipv1.Member{
		Name:             resource.MemberName(id),
		Email:            email,
		AccessPrivilege:  in.GetAccessPrivilege(),
		ExceptionalCases: cases,
		Owner:            owner,
		CreateTime:       now,
		UpdateTime:       now,
	}
	if err := s.store.CreateMember(ctx, id, m); err != nil {
		return nil, err
	}
	return &membershipv1.CreateMemberResponse{Member: m}, nil
}

func (s *Service) GetMember(ctx context.Context, req *membershipv1.GetMemberRequest) (*membershipv1.GetMemberResponse, error) {
	m, _, err := s.memberFor(ctx, "name", req.GetName())
	if err != nil {
		return nil, err
	}
	return &membershipv1.GetMemberResponse{Member: m}, nil
}

func (s *Service) ListMembers(ctx context.Context, req *membershipv1.ListMembersRequest) (*membershipv1.ListMembersResponse, error) {
	owner, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	// Bound to the owner, so one account's token cannot page another's.
	query := "members\x00" + owner
	after, err := s.pages.Decode(req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	limit := pagetoken.Size(req.GetPageSize(), pagetoken.DefaultPageSize)
	members, err := s.store.ListMembers(ctx, owner, string(after), limit+1)
	if err != nil {
		return nil, err
	}
	resp := &membershipv1.ListMembersResponse{Members: members}
	if len(members) > limit {
		resp.Members = members[:limit]
		resp.NextPageToken = s.pages.Encode([]byte(members[limit-1].GetEmail()), query)
	}
	return resp, nil
}

func (s *Service) UpdateMember(ctx context.Context, req *membershipv1.UpdateMemberRequest) (*membershipv1.UpdateMemberResponse, error) {
	current, id, err := s.memberFor(ctx, "member.name", req.GetMember().GetName())
	if err != nil {
		return nil, err
	}
	changes, err := parseUpdateMask(req.GetUpdateMask())
	if err != nil {
		return nil, err
	}
	in := req.GetMember()
	if changes.accessPrivilege {
		if err := checkPrivilege("member.access_privilege", in.GetAccessPrivilege()); err != nil {
			return nil, err
		}
	}
	var cases []*membershipv1.ExceptionalCase
	if changes.exceptionalCases {
		// Resolved before the write: no network call inside a transaction.
		if cases, err = s.checkCases(ctx, current.GetOwner(), in.GetExceptionalCases()); err != nil {
			return nil, err
		}
	}
	m, err := s.store.UpdateMember(ctx, id, func(m *membershipv1.Member) error {
		if changes.accessPrivilege {
			m.AccessPrivilege = in.GetAccessPrivilege()
		}
		if changes.exceptionalCases {
			m.ExceptionalCases = cases
		}
		m.UpdateTime = timestamppb.New(s.now())
		return nil
	})
	if err != nil {
		return nil, notFoundIf(err, "member.name", req.GetMember().GetName())
	}
	return &membershipv1.UpdateMemberResponse{Member: m}, nil
}

func (s *Service) DeleteMember(ctx context.Context, req *membershipv1.DeleteMemberRequest) (*membershipv1.DeleteMemberResponse, error) {
	_, id, err := s.memberFor(ctx, "name", req.GetName())
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteMember(ctx, id); err != nil {
		return nil, notFoundIf(err, "name", req.GetName())
	}
	return &membershipv1.DeleteMemberResponse{}, nil
}

// notFoundIf replaces a store NOT_FOUND (the member was deleted meanwhile)
// with one naming the request field.
func notFoundIf(err error, field, name string) error {
	if errors.Is(err, errs.ErrNotFound) {
		return notFound(field, name)
	}
	return err
}
