package tenancy

import (
	"context"
	"errors"
	"github.com/tollgate/tollgate/pkg/auth"

	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// ResolveTarget tells other services who owns an organization or device.
func (s *Service) ResolveTarget(ctx context.Context, req *tenancyv1.ResolveTargetRequest) (*tenancyv1.ResolveTargetResponse, error) {
	if err := auth.RequireService(ctx); err != nil {
		return nil, err
	}
	t, err := resource.ParseTarget("target", req.GetTarget())
	if err != nil {
		return nil, err
	}
	org, err := s.store.GetOrganization(ctx, t.Org)
	if err != nil {
		return nil, notFoundIf(err, "target", req.GetTarget())
	}
	resp := &tenancyv1.ResolveTargetResponse{Owner: org.GetOwner(), Organization: org}
	if t.IsDevice() {
		device, err := s.store.GetDevice(ctx, t.Org, t.Device)
		if err != nil {
			return nil, notFoundIf(err, "target", req.GetTarget())
		}
		resp.Device = withLicenseState(device, s.now())
	}
	return resp, nil
}

// afterDeviceDeleted removes the device's tokens, logs and exceptional
// cases in the services that keep them. The device is already gone, so a
// failure here is logged rather than returned: its tokens no longer
// validate and its logs are unreachable either way (their validation and
// reads resolve the device first), and retention removes the logs later.
func (s *Service) afterDeviceDeleted(ctx context.Context, device string) {
	if err := s.cleaner.DeviceDeleted(ctx, device); err != nil {
		s.logger.WarnContext(ctx, "cleanup after device deletion incomplete", "device", device, "error", err.Error())
	}
}

// afterTargetDeleted drops exceptional cases that point at a deleted
// organization (and its devices).
func (s *Service) afterTargetDeleted(ctx context.Context, org string) {
	if err := s.cleaner.OrganizationDeleted(ctx, org); err != nil {
		s.logger.WarnContext(ctx, "cleanup after organization deletion incomplete", "organization", org, "error", err.Error())
	}
}

// notFoundIf replaces a store NOT_FOUND with one naming the request field.
func notFoundIf(err error, field, name string) error {
	if errors.Is(err, errs.ErrNotFound) {
		return notFound(field, name)
	}
	return err
}
