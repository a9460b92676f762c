package export

import (
	"context"
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // device time zones must load even in a scratch image

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/pkg/access"
	"github.com/tollgate/tollgate/pkg/auth"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// TenancyClient is the part of the tenancy service the export service
// calls; tenancyv1.TenancyServiceClient satisfies it.
type TenancyClient interface {
	ResolveTarget(ctx context.Context, in *tenancyv1.ResolveTargetRequest, opts ...grpc.CallOption) (*tenancyv1.ResolveTargetResponse, error)
}

// MembershipClient is the part of the membership service the export
// service calls; membershipv1.MembershipServiceClient satisfies it.
type MembershipClient interface {
	DecideAccess(ctx context.Context, in *membershipv1.DecideAccessRequest, opts ...grpc.CallOption) (*membershipv1.DecideAccessResponse, error)
}

// device is what the export service needs to know about a device.
type device struct {
	name          string
	owner         string
	zone          *time.Location
	licenseExpiry time.Time
}

// resolveDevice asks tenancy about a device; found is false when it does
// not exist (any more). Other failures, such as tenancy being down, are
// returned as they are.
func (s *Service) resolveDevice(ctx context.Context, name string) (d device, found bool, err error) {
	// ResolveTarget and DecideAccess are internal: the export service calls
	// them as itself, not as the user or token it is serving.
	resp, err := s.tenancy.ResolveTarget(auth.AsSelf(ctx), &tenancyv1.ResolveTargetRequest{Target: name})
	if status.Code(err) == codes.NotFound {
		return device{}, false, nil
	}
	if err != nil {
		return device{}, false, err
	}
	zone, err := s.zones.load(resp.GetDevice().GetTimeZone())
	if err != nil {
		return device{}, false, fmt.Errorf("device %s: %w", name, err)
	}
	return device{
		name:          name,
		owner:         resp.GetOwner(),
		zone:          zone,
		licenseExpiry: resp.GetDevice().GetLicense().GetExpireTime().AsTime(),
	}, true, nil
}

// decide returns the user's effective privilege on the device.
func (s *Service) decide(ctx context.Context, user string, d device) (access.Decision, error) {
	if user == d.owner {
		return access.Owner, nil
	}
	resp, err := s.membership.DecideAccess(auth.AsSelf(ctx), &membershipv1.DecideAccessRequest{User: user, Owner: d.owner, Target: d.name})
	if err != nil {
		return access.Decision{}, err
	}
	return access.Decision{Privilege: resp.GetPrivilege(), Rule: resp.GetDecidedBy()}, nil
}

// zoneCache keeps loaded time zones: loading parses tzdata every time.
type zoneCache struct{ zones sync.Map }

func (c *zoneCache) load(name string) (*time.Location, error) {
	if z, ok := c.zones.Load(name); ok {
		return z.(*time.Location), nil
	}
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time zone %q is not an IANA name", name)
	}
	z, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	c.zones.Store(name, z)
	return z, nil
}
