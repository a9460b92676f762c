package tenancy

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

var (
	licenseActive  = tenancyv1.LicenseState_LICENSE_STATE_ACTIVE
	licenseExpired = tenancyv1.LicenseState_LICENSE_STATE_EXPIRED
	licenseAny     = tenancyv1.LicenseState_LICENSE_STATE_UNSPECIFIED
)

// createLicensed registers organizations/org1/devices/{id} expiring at expire.
func (h *harness) createLicensed(t *testing.T, id string, expire time.Time) *tenancyv1.Device {
	t.Helper()
	in := h.deviceInput(h.newSerial())
	in.License = &tenancyv1.License{ExpireTime: timestamppb.New(expire)}
	resp, err := h.client.CreateDevice(as(t, owner), &tenancyv1.CreateDeviceRequest{Parent: orgName("org1"), DeviceId: id, Device: in})
	if err != nil {
		t.Fatalf("CreateDevice(%s): %v", id, err)
	}
	return resp.GetDevice()
}

func requireLicense(t *testing.T, what string, d *tenancyv1.Device, state tenancyv1.LicenseState, days int32) {
	t.Helper()
	if got := d.GetLicense(); got.GetState() != state || got.GetDaysRemaining() != days {
		t.Fatalf("%s: license %s with %d days remaining, want %s with %d", what, got.GetState(), got.GetDaysRemaining(), state, days)
	}
}

// TestLicenseState checks the computed state and days remaining at the
// service's clock, in every place a device is returned, and that only the
// expiry is stored.
func TestLicenseState(t *testing.T) {
	h := newHarness(t)
	h.createOrg(t, owner, "org1")
	const day = 24 * time.Hour
	devices := []struct {
		id     string
		expire time.Time
		state  tenancyv1.LicenseState
		days   int32
	}{
		{"ten-days", t0.Add(10*day + time.Hour), licenseActive, 10},
		{"half-day", t0.Add(12 * time.Hour), licenseActive, 0},
		{"one-ns", t0.Add(time.Nanosecond), licenseActive, 0},
		{"now", t0, licenseExpired, 0},
		{"yesterday", t0.Add(-day), licenseExpired, 0},
		{"year", t0.Add(365 * day), licenseActive, 365},
	}
	for _, d := range devices {
		created := h.createLicensed(t, d.id, d.expire)
		requireLicense(t, "CreateDevice "+d.id, created, d.state, d.days)
		requireLicense(t, "GetDevice "+d.id, h.getDevice(t, created.GetName()), d.state, d.days)
		resolved, err := h.client.ResolveTarget(as(t, service), &tenancyv1.ResolveTargetRequest{Target: created.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		requireLicense(t, "ResolveTarget "+d.id, resolved.GetDevice(), d.state, d.days)
		if !resolved.GetDevice().GetLicense().GetExpireTime().AsTime().Equal(d.expire) {
			t.Fatalf("%s: expire_time %v, want %v", d.id, resolved.GetDevice().GetLicense().GetExpireTime().AsTime(), d.expire)
		}
		stored, err := h.svc.store.GetDevice(t.Context(), "org1", d.id)
		if err != nil {
			t.Fatal(err)
		}
		requireLicense(t, "stored "+d.id, stored, licenseAny, 0)
	}

	// Time passes: the state follows the clock, not what was stored.
	h.clock.Set(t0.Add(11 * day))
	resp, err := h.client.ListDevices(as(t, owner), &tenancyv1.ListDevicesRequest{Parent: orgName("org1")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		state tenancyv1.LicenseState
		days  int32
	}{
		"ten-days": {licenseExpired, 0}, "half-day": {licenseExpired, 0}, "one-ns": {licenseExpired, 0},
		"now": {licenseExpired, 0}, "yesterday": {licenseExpired, 0}, "year": {licenseActive, 354},
	}
	for _, d := range resp.GetDevices() {
		w := want[d.GetName()[len("organizations/org1/devices/"):]]
		requireLicense(t, "ListDevices "+d.GetName(), d, w.state, w.days)
	}
	if len(resp.GetDevices()) != len(want) {
		t.Fatalf("listed %d devices, want %d", len(resp.GetDevices()), len(want))
	}
}

// TestComputedLicenseFieldsAreIgnoredOnInput sends a state and days that
// contradict the expiry: the answer and the stored record ignore them.
func TestComputedLicenseFieldsAreIgnoredOnInput(t *testing.T) {
	h := newHarness(t)
	h.createOrg(t, owner, "org1")
	in := h.deviceInput(h.newSerial())
	in.License = &tenancyv1.License{
		ExpireTime:    timestamppb.New(t0.Add(-time.Hour)),
		State:         licenseActive,
		DaysRemaining: 999,
	}
	resp, err := h.client.CreateDevice(as(t, owner), &tenancyv1.CreateDeviceRequest{Parent: orgName("org1"), DeviceId: "liar", Device: in})
	if err != nil {
		t.Fatal(err)
	}
	requireLicense(t, "created", resp.GetDevice(), licenseExpired, 0)

	renewed, err := h.client.UpdateDevice(as(t, owner), &tenancyv1.UpdateDeviceRequest{
		Device: &tenancyv1.Device{Name: resp.GetDevice().GetName(), SerialNumber: in.GetSerialNumber(), MacAddress: in.GetMacAddress(),
			License: &tenancyv1.License{ExpireTime: timestamppb.New(t0.Add(48 * time.Hour)), State: licenseExpired, DaysRemaining: 999}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"license.expire_time"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	requireLicense(t, "renewed", renewed.GetDevice(), licenseActive, 2)
	stored, err := h.svc.store.GetDevice(t.Context(), "org1", "liar")
	if err != nil {
		t.Fatal(err)
	}
	requireLicense(t, "stored", stored, licenseAny, 0)
}

// TestRenewLicense renews an expired license with UpdateDevice and
// license.expire_time: the device turns active and nothing else changes.
func TestRenewLicense(t *testing.T) {
	h := newHarness(t)
	h.createOrg(t, owner, "org1")
	before := h.createLicensed(t, "fw-1", t0.Add(-time.Hour))
	requireLicense(t, "before", before, licenseExpired, 0)

	h.clock.Set(t0.Add(time.Minute))
	renewal := timestamppb.New(t0.AddDate(0, 0, 30).Add(time.Hour))
	resp, err := h.client.UpdateDevice(as(t, owner), &tenancyv1.UpdateDeviceRequest{
		// Other fields carry different values but are not in the mask.
		Device: &tenancyv1.Device{
			Name: before.GetName(), DisplayName: "Ignored", TimeZone: "Asia/Taipei",
			SerialNumber: before.GetSerialNumber(), MacAddress: before.GetMacAddress(),
			License: &tenancyv1.License{ExpireTime: renewal},
		},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"license.expire_time"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	after := resp.GetDevice()
	requireLicense(t, "after renewal", after, licenseActive, 30)
	requireLicense(t, "read back", h.getDevice(t, before.GetName()), licenseActive, 30)
	if !after.GetLicense().GetExpireTime().AsTime().Equal(renewal.AsTime()) {
		t.Fatalf("expire_time = %v, want %v", after.GetLicense().GetExpireTime().AsTime(), renewal.AsTime())
	}
	if after.GetDisplayName() != before.GetDisplayName() || after.GetTimeZone() != before.GetTimeZone() ||
		after.GetSerialNumber() != before.GetSerialNumber() || after.GetMacAddress() != before.GetMacAddress() ||
		!after.GetCreateTime().AsTime().Equal(before.GetCreateTime().AsTime()) {
		t.Fatalf("fields outside the mask changed:\nbefore %v\nafter  %v", before, after)
	}
	if !after.GetUpdateTime().AsTime().Equal(t0.Add(time.Minute)) {
		t.Fatalf("update_time = %v, want the clock's %v", after.GetUpdateTime().AsTime(), t0.Add(time.Minute))
	}
	// A MEMBER views the renewal but cannot make one.
	h.grants.set(annEmail, ownerEmail, grant(privMember))
	_, err = h.client.UpdateDevice(as(t, ann), &tenancyv1.UpdateDeviceRequest{
		Device: &tenancyv1.Device{Name: before.GetName(), SerialNumber: before.GetSerialNumber(), MacAddress: before.GetMacAddress(),
			License: &tenancyv1.License{ExpireTime: timestamppb.New(t0.AddDate(5, 0, 0))}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"license.expire_time"}},
	})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	requireLicense(t, "after refused renewal", h.getDevice(t, before.GetName()), licenseActive, 30)
}

// TestListDevicesByLicenseState filters by state, page by page, and
// checks that a page token belongs to its filter.
func TestListDevicesByLicenseState(t *testing.T) {
	h := newHarness(t)
	h.createOrg(t, owner, "org1")
	var active, expired, all []string
	for i, id := range []string{"fw-a", "fw-b", "fw-c", "fw-d", "fw-e", "fw-f", "fw-g"} {
		expire := t0.Add(time.Duration(i-3) * 24 * time.Hour) // fw-a..fw-d expired
		d := h.createLicensed(t, id, expire)
		all = append(all, d.GetName())
		if expire.After(t0) {
			active = append(active, d.GetName())
		} else {
			expired = append(expired, d.GetName())
		}
	}
	// A member who cannot see fw-b and fw-f gets the filter on what they see.
	h.grants.set(annEmail, ownerEmail, grant(privMember, deviceName("org1", "fw-b"), privNone, deviceName("org1", "fw-f"), privNone))
	visible := func(names []string) []string {
		return slices.DeleteFunc(slices.Clone(names), func(n string) bool {
			return n == deviceName("org1", "fw-b") || n == deviceName("org1", "fw-f")
		})
	}
	for _, tc := range []struct {
		state tenancyv1.LicenseState
		want  []string
	}{{licenseActive, active}, {licenseExpired, expired}, {licenseAny, all}} {
		for size := int32(0); size <= int32(len(all))+1; size++ {
			got, _ := h.listAllDevices(t, owner, &tenancyv1.ListDevicesRequest{Parent: orgName("org1"), LicenseState: tc.state, PageSize: size})
			if !slices.Equal(got, tc.want) {
				t.Fatalf("owner, %s, page size %d: %q, want %q", tc.state, size, got, tc.want)
			}
			got, _ = h.listAllDevices(t, ann, &tenancyv1.ListDevicesRequest{Parent: orgName("org1"), LicenseState: tc.state, PageSize: size})
			if want := visible(tc.want); !slices.Equal(got, want) {
				t.Fatalf("member, %s, page size %d: %q, want %q", tc.state, size, got, want)
			}
		}
	}
	resp, err := h.client.ListDevices(as(t, owner), &tenancyv1.ListDevicesRequest{Parent: orgName("org1"), LicenseState: licenseActive, PageSize: 1})
	if err != nil || resp.GetNextPageToken() == "" {
		t.Fatalf("first page: %v, %v", resp, err)
	}
	_, err = h.client.ListDevices(as(t, owner), &tenancyv1.ListDevicesRequest{
		Parent: orgName("org1"), LicenseState: licenseExpired, PageSize: 1, PageToken: resp.GetNextPageToken(),
	})
	requireStatus(t, err, codes.InvalidArgument, "INVALID_PAGE_TOKEN")
}
