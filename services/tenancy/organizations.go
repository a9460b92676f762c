package tenancy

import (
	"context"
	"fmt"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/pagetoken"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/access"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

func (s *Service) CreateOrganization(ctx context.Context, req *tenancyv1.CreateOrganizationRequest) (*tenancyv1.CreateOrganizationResponse, error) {
	user, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	id := req.GetOrganizationId()
	if id == "" {
		id = resource.NewID()
	}
	now := timestamppb.New(s.now())
	org := &tenancyv1.Organization{
		Name:        resource.OrganizationName(id),
		DisplayName: req.GetOrganization().GetDisplayName(),
		Owner:       user,
		CreateTime:  now,
		UpdateTime:  now,
	}
	if err := s.store.CreateOrganization(ctx, id, org); err != nil {
		return nil, err
	}
	return &tenancyv1.CreateOrganizationResponse{Organization: org}, nil
}

func (s *Service) GetOrganization(ctx context.Context, req *tenancyv1.GetOrganizationRequest) (*tenancyv1.GetOrganizationResponse, error) {
	org, _, err := s.organizationFor(ctx, "name", req.GetName(), access.View)
	if err != nil {
		return nil, err
	}
	return &tenancyv1.GetOrganizationResponse{Organization: org}, nil
}

func (s *Service) ListOrganizations(ctx context.Context, req *tenancyv1.ListOrganizationsRequest) (*tenancyv1.ListOrganizationsResponse, error) {
	user, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	after, err := s.pages.Decode(req.GetPageToken(), "organizations")
	if err != nil {
		return nil, err
	}
	grants, err := s.grants.ListGrants(ctx, user)
	if err != nil {
		return nil, err
	}
	owners := []string{user}
	for owner := range grants {
		owners = append(owners, owner)
	}
	keep := func(org *tenancyv1.Organization) bool {
		g, member := grants[org.GetOwner()]
		if org.GetOwner() == user || !member {
			return org.GetOwner() == user
		}
		return s.seesOrganization(ctx, g, org)
	}
	limit := pagetoken.Size(req.GetPageSize(), pagetoken.DefaultPageSize)
	orgs, err := s.store.ListOrganizations(ctx, owners, string(after), limit+1, keep)
	if err != nil {
		return nil, err
	}
	resp := &tenancyv1.ListOrganizationsResponse{Organizations: orgs}
	if len(orgs) > limit {
		resp.Organizations = orgs[:limit]
		last, _ := resource.ParseOrganization("name", orgs[limit-1].GetName())
		resp.NextPageToken = s.pages.Encode([]byte(last), "organizations")
	}
	return resp, nil
}

// requireMask refuses an update that names no field: it would change
// nothing but the update time.
func requireMask(paths []string, allowed string) error {
	if len(paths) == 0 {
		return errs.Invalid("update_mask", "REQUIRED_FIELD", "update_mask must name the fields to change: "+allowed)
	}
	return nil
}

func (s *Service) UpdateOrganization(ctx context.Context, req *tenancyv1.UpdateOrganizationRequest) (*tenancyv1.UpdateOrganizationResponse, error) {
	_, id, err := s.organizationFor(ctx, "organization.name", req.GetOrganization().GetName(), access.Manage)
	if err != nil {
		return nil, err
	}
	if err := requireMask(req.GetUpdateMask().GetPaths(), "display_name"); err != nil {
		return nil, err
	}
	org, err := s.store.UpdateOrganization(ctx, id, func(org *tenancyv1.Organization) error {
		for _, path := range req.GetUpdateMask().GetPaths() {
			switch path {
			case "display_name":
				org.DisplayName = req.GetOrganization().GetDisplayName()
			default:
				return errs.Invalid("update_mask", "INVALID_FIELD_MASK", fmt.Sprintf("update_mask: %q cannot be updated", path))
			}
		}
		org.UpdateTime = timestamppb.New(s.now())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &tenancyv1.UpdateOrganizationResponse{Organization: org}, nil
}

func (s *Service) DeleteOrganization(ctx context.Context, req *tenancyv1.DeleteOrganizationRequest) (*tenancyv1.DeleteOrganizationResponse, error) {
	_, id, err := s.organizationFor(ctx, "name", req.GetName(), access.OwnerOnly)
	if err != nil {
		return nil, err
	}
	devices, err := s.store.DeleteOrganization(ctx, id, req.GetForce())
	if err != nil {
		return nil, err
	}
	for _, device := range devices {
		s.afterDeviceDeleted(ctx, device)
	}
	s.afterTargetDeleted(ctx, req.GetName())
	return &tenancyv1.DeleteOrganizationResponse{}, nil
}
