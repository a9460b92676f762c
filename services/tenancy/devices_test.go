package tenancy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// TestUpdateDeviceAcceptsPartialDevice renames a device with a request
// that carries only its name and the new display name, as a REST PATCH
// {"display_name": …} does. The proto's serial_number and mac_address
// pattern rules apply to their empty values and refuse it: they need
// IGNORE_IF_ZERO_VALUE (CreateDeviceRequest already requires both).
func TestUpdateDeviceAcceptsPartialDevice(t *testing.T) {
	h := newHarness(t)
	h.createOrg(t, owner, "org1")
	d := h.createDevice(t, owner, "org1", "dev1")
	resp, err := h.client.UpdateDevice(as(t, owner), &tenancyv1.UpdateDeviceRequest{
		Device:     &tenancyv1.Device{Name: d.GetName(), DisplayName: "Renamed"},
		UpdateMask: mask("display_name"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetDevice().GetDisplayName() != "Renamed" || resp.GetDevice().GetSerialNumber() != d.GetSerialNumber() {
		t.Fatalf("updated device = %v", resp.GetDevice())
	}
}

// TestDeviceInputIsNormalized checks what CreateDevice stores beyond the
// input: the MAC address in upper case with colons, output-only fields
// from the service.
func TestDeviceInputIsNormalized(t *testing.T) {
	h := newHarness(t)
	h.createOrg(t, owner, "org1")
	in := h.deviceInput(h.newSerial())
	in.MacAddress = "0a-1b:2c-3d:4e-5f"
	in.Name = deviceName("org2", "elsewhere")
	in.CreateTime = timestamppb.New(t0.AddDate(-10, 0, 0))
	in.DisplayName = strings.Repeat("é", 100) // 100 characters is the limit
	resp, err := h.client.CreateDevice(as(t, owner), &tenancyv1.CreateDeviceRequest{Parent: orgName("org1"), DeviceId: "fw-1", Device: in})
	if err != nil {
		t.Fatal(err)
	}
	got := resp.GetDevice()
	if got.GetMacAddress() != "0A:1B:2C:3D:4E:5F" {
		t.Errorf("mac_address = %q, want 0A:1B:2C:3D:4E:5F", got.GetMacAddress())
	}
	if got.GetName() != deviceName("org1", "fw-1") || !got.GetCreateTime().AsTime().Equal(t0) || !got.GetUpdateTime().AsTime().Equal(t0) {
		t.Errorf("output-only fields: name %s, create_time %v, update_time %v", got.GetName(), got.GetCreateTime().AsTime(), got.GetUpdateTime().AsTime())
	}
	if !proto.Equal(h.getDevice(t, got.GetName()), got) {
		t.Errorf("read back %v, want %v", h.getDevice(t, got.GetName()), got)
	}
	// Without an id, the service makes one.
	resp, err = h.client.CreateDevice(as(t, owner), &tenancyv1.CreateDeviceRequest{Parent: orgName("org1"), Device: h.deviceInput(h.newSerial())})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.GetDevice().GetName(), "organizations/org1/devices/") || resp.GetDevice().GetName() == deviceName("org1", "") {
		t.Errorf("generated name %q", resp.GetDevice().GetName())
	}
	h.getDevice(t, resp.GetDevice().GetName())
}

// TestDeleteDevice deletes a device: it is gone, the other services are
// told, and its serial number is free.
func TestDeleteDevice(t *testing.T) {
	h := newHarness(t)
	h.createOrg(t, owner, "org1")
	d := h.createDevice(t, owner, "org1", "dev1")
	h.cleaner.setFail(true) // logged, not returned: the device is gone either way
	if _, err := h.client.DeleteDevice(as(t, owner), &tenancyv1.DeleteDeviceRequest{Name: d.GetName()}); err != nil {
		t.Fatal(err)
	}
	_, err := h.client.GetDevice(as(t, owner), &tenancyv1.GetDeviceRequest{Name: d.GetName()})
	requireStatus(t, err, codes.NotFound, "NOT_FOUND")
	if got, want := h.cleaner.told(), []string{"device " + d.GetName()}; !slices.Equal(got, want) {
		t.Fatalf("cleaner told %q, want %q", got, want)
	}
	_, err = h.client.DeleteDevice(as(t, owner), &tenancyv1.DeleteDeviceRequest{Name: d.GetName()})
	requireStatus(t, err, codes.NotFound, "NOT_FOUND")
	if _, err := h.client.CreateDevice(as(t, owner), &tenancyv1.CreateDeviceRequest{Parent: orgName("org1"), DeviceId: "dev1", Device: h.deviceInput(d.GetSerialNumber())}); err != nil {
		t.Fatalf("re-registering: %v", err)
	}
}

// TestUpdateDevice changes every updatable setting but the license: each
// field in the mask changes, the others keep their values.
func TestUpdateDevice(t *testing.T) {
	h := newHarness(t)
	h.createOrg(t, owner, "org1")
	before := h.createDevice(t, owner, "org1", "dev1")
	h.clock.Set(t0.Add(time.Hour))
	resp, err := h.client.UpdateDevice(as(t, owner), &tenancyv1.UpdateDeviceRequest{
		Device: &tenancyv1.Device{
			Name: before.GetName(), DisplayName: "Branch office", Model: "USG FLEX 500", TimeZone: "Asia/Taipei",
			SerialNumber: before.GetSerialNumber(), MacAddress: before.GetMacAddress(),
			License: &tenancyv1.License{ExpireTime: timestamppb.New(t0.AddDate(9, 0, 0))}, // not in the mask
		},
		UpdateMask: mask("display_name", "model", "time_zone"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := proto.CloneOf(before)
	want.DisplayName, want.Model, want.TimeZone = "Branch office", "USG FLEX 500", "Asia/Taipei"
	want.UpdateTime = timestamppb.New(t0.Add(time.Hour))
	want.License.DaysRemaining = 364 // a year from t0, seen an hour later
	if !proto.Equal(resp.GetDevice(), want) {
		t.Fatalf("updated %v, want %v", resp.GetDevice(), want)
	}
	if got := h.getDevice(t, before.GetName()); !proto.Equal(got, want) {
		t.Fatalf("read back %v, want %v", got, want)
	}
}
