package tenancy

import (
	"context"
	"fmt"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/pagetoken"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones must validate even in a scratch image

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/access"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// withLicenseState fills the computed license fields for the time now.
func withLicenseState(d *tenancyv1.Device, now time.Time) *tenancyv1.Device {
	l := d.GetLicense()
	if l == nil {
		return d
	}
	left := l.GetExpireTime().AsTime().Sub(now)
	if left > 0 {
		l.State = tenancyv1.LicenseState_LICENSE_STATE_ACTIVE
		l.DaysRemaining = int32(left / (24 * time.Hour))
	} else {
		l.State = tenancyv1.LicenseState_LICENSE_STATE_EXPIRED
		l.DaysRemaining = 0
	}
	return d
}

// stripComputed removes computed fields before a device is stored.
func stripComputed(d *tenancyv1.Device) {
	if l := d.GetLicense(); l != nil {
		l.State = tenancyv1.LicenseState_LICENSE_STATE_UNSPECIFIED
		l.DaysRemaining = 0
	}
}

func normalizeMAC(mac string) string {
	return strings.ToUpper(strings.ReplaceAll(mac, "-", ":"))
}

func checkTimeZone(field, tz string) error {
	if tz == "" || tz == "Local" {
		return errs.Invalid(field, "INVALID_TIME_ZONE", fmt.Sprintf("%s: an IANA time zone name is required, e.g. Europe/Berlin", field))
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return errs.Invalid(field, "INVALID_TIME_ZONE", fmt.Sprintf("%s: %q is not an IANA time zone name", field, tz))
	}
	return nil
}

// checkTime refuses timestamps that are not valid times (out of range
// seconds or nanos), which would be stored as they are.
func checkTime(field string, ts *timestamppb.Timestamp) error {
	if err := ts.CheckValid(); err != nil {
		return errs.Invalid(field, "INVALID_TIME", fmt.Sprintf("%s is not a valid time", field))
	}
	return nil
}

// deviceFor loads the named device for the calling user and checks that
// they may do action on it.
func (s *Service) deviceFor(ctx context.Context, field, name string, action access.Action) (*tenancyv1.Device, resource.Device, error) {
	user, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, resource.Device{}, err
	}
	ref, err := resource.ParseDevice(field, name)
	if err != nil {
		return nil, ref, err
	}
	org, err := s.store.GetOrganization(ctx, ref.Org)
	if err != nil {
		return nil, ref, notFoundIf(err, field, name)
	}
	d, _, err := s.decide(ctx, user, org.GetOwner(), resource.Target{Org: ref.Org, Device: ref.Device})
	if err != nil {
		return nil, ref, err
	}
	if !d.Visible() {
		return nil, ref, notFound(field, name)
	}
	device, err := s.store.GetDevice(ctx, ref.Org, ref.Device)
	if err != nil {
		return nil, ref, notFoundIf(err, field, name)
	}
	if !d.Allows(action) {
		return nil, ref, denied(name, action)
	}
	return device, ref, nil
}

func (s *Service) CreateDevice(ctx context.Context, req *tenancyv1.CreateDeviceRequest) (*tenancyv1.CreateDeviceResponse, error) {
	_, orgID, err := s.organizationFor(ctx, "parent", req.GetParent(), access.Manage)
	if err != nil {
		return nil, err
	}
	in := req.GetDevice()
	if err := checkTimeZone("device.time_zone", in.GetTimeZone()); err != nil {
		return nil, err
	}
	if err := checkTime("device.license.expire_time", in.GetLicense().GetExpireTime()); err != nil {
		return nil, err
	}
	if in.GetSerialNumber() == "" {
		return nil, errs.Invalid("device.serial_number", "REQUIRED_FIELD", "device.serial_number is required")
	}
	if in.GetMacAddress() == "" {
		return nil, errs.Invalid("device.mac_address", "REQUIRED_FIELD", "device.mac_address is required")
	}
	id := req.GetDeviceId()
	if id == "" {
		id = resource.NewID()
	}
	now := timestamppb.New(s.now())
	device := &tenancyv1.Device{
		Name:         resource.Device{Org: orgID, Device: id}.Name(),
		DisplayName:  in.GetDisplayName(),
		Model:        in.GetModel(),
		SerialNumber: in.GetSerialNumber(),
		MacAddress:   normalizeMAC(in.GetMacAddress()),
		TimeZone:     in.GetTimeZone(),
		License:      &tenancyv1.License{ExpireTime: in.GetLicense().GetExpireTime()},
		CreateTime:   now,
		UpdateTime:   now,
	}
	if err := s.store.CreateDevice(ctx, orgID, id, device); err != nil {
		return nil, err
	}
	return &tenancyv1.CreateDeviceResponse{Device: withLicenseState(device, s.now())}, nil
}

func (s *Service) GetDevice(ctx context.Context, req *tenancyv1.GetDeviceRequest) (*tenancyv1.GetDeviceResponse, error) {
	device, _, err := s.deviceFor(ctx, "name", req.GetName(), access.View)
	if err != nil {
		return nil, err
	}
	return &tenancyv1.GetDeviceResponse{Device: withLicenseState(device, s.now())}, nil
}

func (s *Service) ListDevices(ctx context.Context, req *tenancyv1.ListDevicesRequest) (*tenancyv1.ListDevicesResponse, error) {
	user, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	org, orgID, err := s.organizationFor(ctx, "parent", req.GetParent(), access.View)
	if err != nil {
		return nil, err
	}
	query := fmt.Sprintf("devices\x00%s\x00%d", req.GetParent(), req.GetLicenseState())
	after, err := s.pages.Decode(req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	var grant *access.Grant
	if user != org.GetOwner() {
		grants, err := s.grants.ListGrants(ctx, user)
		if err != nil {
			return nil, err
		}
		g := grants[org.GetOwner()]
		grant = &g
	}
	now := s.now()
	keep := func(d *tenancyv1.Device) bool {
		if grant != nil && !grant.Decide(org.GetName(), d.GetName()).Visible() {
			return false
		}
		want := req.GetLicenseState()
		return want == tenancyv1.LicenseState_LICENSE_STATE_UNSPECIFIED || withLicenseState(d, now).GetLicense().GetState() == want
	}
	limit := pagetoken.Size(req.GetPageSize(), pagetoken.DefaultPageSize)
	devices, err := s.store.ListDevices(ctx, orgID, string(after), limit+1, keep)
	if err != nil {
		return nil, err
	}
	resp := &tenancyv1.ListDevicesResponse{}
	if len(devices) > limit {
		devices = devices[:limit]
		last, _ := resource.ParseDevice("name", devices[limit-1].GetName())
		resp.NextPageToken = s.pages.Encode([]byte(last.Device), query)
	}
	for _, d := range devices {
		resp.Devices = append(resp.Devices, withLicenseState(d, now))
	}
	return resp, nil
}

func (s *Service) UpdateDevice(ctx context.Context, req *tenancyv1.UpdateDeviceRequest) (*tenancyv1.UpdateDeviceResponse, error) {
	_, ref, err := s.deviceFor(ctx, "device.name", req.GetDevice().GetName(), access.Manage)
	if err != nil {
		return nil, err
	}
	if err := requireMask(req.GetUpdateMask().GetPaths(), "display_name, model, time_zone, license.expire_time"); err != nil {
		return nil, err
	}
	in := req.GetDevice()
	device, err := s.store.UpdateDevice(ctx, ref.Org, ref.Device, func(d *tenancyv1.Device) error {
		for _, path := range req.GetUpdateMask().GetPaths() {
			switch path {
			case "display_name":
				d.DisplayName = in.GetDisplayName()
			case "model":
				d.Model = in.GetModel()
			case "time_zone":
				if err := checkTimeZone("device.time_zone", in.GetTimeZone()); err != nil {
					return err
				}
				d.TimeZone = in.GetTimeZone()
			case "license.expire_time":
				if in.GetLicense().GetExpireTime() == nil {
					return errs.Invalid("device.license.expire_time", "REQUIRED_FIELD", "device.license.expire_time is required when update_mask names it")
				}
				if err := checkTime("device.license.expire_time", in.GetLicense().GetExpireTime()); err != nil {
					return err
				}
				d.License = &tenancyv1.License{ExpireTime: proto.Clone(in.GetLicense().GetExpireTime()).(*timestamppb.Timestamp)}
			case "serial_number":
				return errs.Invalid("update_mask", "IMMUTABLE_FIELD", "serial_number never changes: delete the device and register it again")
			default:
				return errs.Invalid("update_mask", "INVALID_FIELD_MASK", fmt.Sprintf("update_mask: %q cannot be updated", path))
			}
		}
		stripComputed(d)
		d.UpdateTime = timestamppb.New(s.now())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &tenancyv1.UpdateDeviceResponse{Device: withLicenseState(device, s.now())}, nil
}

func (s *Service) DeleteDevice(ctx context.Context, req *tenancyv1.DeleteDeviceRequest) (*tenancyv1.DeleteDeviceResponse, error) {
	_, ref, err := s.deviceFor(ctx, "name", req.GetName(), access.Manage)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteDevice(ctx, ref.Org, ref.Device); err != nil {
		return nil, err
	}
	s.afterDeviceDeleted(ctx, ref.Name())
	return &tenancyv1.DeleteDeviceResponse{}, nil
}
