// Package tenancy is the tenancy service: organizations, their devices and
// the devices' licenses. Every RPC authorizes its caller: users through the
// privilege model (pkg/access, with grants from the membership service),
// other services through their internal identity.
package tenancy

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tollgate/tollgate/pkg/access"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/pagetoken"
	"github.com/tollgate/tollgate/pkg/resource"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	"github.com/tollgate/tollgate/services/tenancy/store"
)

// Grants tells which owners granted a user access, and what.
type Grants interface {
	// ListGrants returns the user's grants keyed by owner email.
	ListGrants(ctx context.Context, user string) (map[string]access.Grant, error)
}

// Cleaner removes what other services keep about deleted devices and
// organizations (tokens, logs, exceptional cases).
type Cleaner interface {
	DeviceDeleted(ctx context.Context, device string) error
	OrganizationDeleted(ctx context.Context, org string) error
}

// Service implements tenancyv1.TenancyServiceServer.
type Service struct {
	tenancyv1.UnimplementedTenancyServiceServer
	store   store.Store
	grants  Grants
	cleaner Cleaner
	pages   *pagetoken.Codec
	logger  *slog.Logger
	now     func() time.Time
}

// NewService returns the service over st.
func NewService(st store.Store, grants Grants, cleaner Cleaner, pages *pagetoken.Codec, logger *slog.Logger) *Service {
	return &Service{store: st, grants: grants, cleaner: cleaner, pages: pages, logger: logger, now: time.Now}
}

// decide returns the user's decision on a target owned by owner.
func (s *Service) decide(ctx context.Context, user, owner string, t resource.Target) (access.Decision, access.Grant, error) {
	if user == owner {
		return access.Owner, access.Grant{}, nil
	}
	grants, err := s.grants.ListGrants(ctx, user)
	if err != nil {
		return access.Decision{}, access.Grant{}, err
	}
	g, ok := grants[owner]
	if !ok {
		return access.NotAMember, access.Grant{}, nil
	}
	device := ""
	if t.IsDevice() {
		device = t.Name()
	}
	return g.Decide(resource.OrganizationName(t.Org), device), g, nil
}

// organizationFor loads the named organization for the calling user and
// checks that they may do action: invisible organizations are NOT_FOUND,
// visible ones without the right are PERMISSION_DENIED.
func (s *Service) organizationFor(ctx context.Context, field, name string, action access.Action) (*tenancyv1.Organization, string, error) {
	user, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, "", err
	}
	id, err := resource.ParseOrganization(field, name)
	if err != nil {
		return nil, "", err
	}
	org, err := s.store.GetOrganization(ctx, id)
	if err != nil {
		// Worded like the refusal of an invisible organization, so that
		// the answer does not tell whether it exists.
		return nil, "", notFoundIf(err, field, name)
	}
	d, g, err := s.decide(ctx, user, org.GetOwner(), resource.Target{Org: id})
	if err != nil {
		return nil, "", err
	}
	visible := d.Visible() || (d.Rule != access.NotAMember.Rule && s.seesOrganization(ctx, g, org))
	switch {
	case !visible:
		return nil, "", notFound(field, name)
	case action == access.View || d.Allows(action):
		return org, id, nil
	default:
		return nil, "", denied(name, action)
	}
}

// seesOrganization applies the rule that an organization is visible to a
// member who can see it or any device in it.
func (s *Service) seesOrganization(ctx context.Context, g access.Grant, org *tenancyv1.Organization) bool {
	if g.Decide(org.GetName(), "").Visible() {
		return true
	}
	id, err := resource.ParseOrganization("name", org.GetName())
	if err != nil {
		return false
	}
	// Only devices with their own case can differ from the organization's
	// decision, so the devices are walked only when the member has such
	// cases in this organization.
	if !g.HasDeviceCasesIn(org.GetName()) {
		return false
	}
	visible := false
	_, err = s.store.ListDevices(ctx, id, "", 1<<30, func(d *tenancyv1.Device) bool {
		if !visible && g.Decide(org.GetName(), d.GetName()).Visible() {
			visible = true
		}
		return false
	})
	return err == nil && visible
}

func notFound(field, name string) error {
	return errs.New(errs.ErrNotFound, "NOT_FOUND", fmt.Sprintf("%s %q not found", field, name))
}

func denied(name string, action access.Action) error {
	return errs.New(errs.ErrPermissionDenied, "PERMISSION_DENIED",
		fmt.Sprintf("your privilege on %s does not allow %s", name, action))
}
