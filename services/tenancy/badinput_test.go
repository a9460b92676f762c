package tenancy

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/auth"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// TestBadInputChangesNothing sends requests that must be refused, checks
// the code, reason and the field named by each refusal, and that the
// service's state is exactly what it was before.
func TestBadInputChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.createOrg(t, owner, "org1")
	h.createOrg(t, owner, "org2")
	h.createOrg(t, owner, "org3")
	existing := h.createDevice(t, owner, "org1", "dev1")
	h.createDevice(t, owner, "org1", "dev2")
	h.createOrg(t, other, "xorg")
	long := strings.Repeat("é", 101) // 101 characters

	// A device as it must be sent in an update today: with its serial
	// number and MAC address (see TestUpdateDeviceAcceptsPartialDevice).
	deviceUpdate := func(d *tenancyv1.Device, paths ...string) *tenancyv1.UpdateDeviceRequest {
		d = proto.CloneOf(d)
		if d.Name == "" {
			d.Name = existing.GetName()
		}
		d.SerialNumber, d.MacAddress = existing.GetSerialNumber(), existing.GetMacAddress()
		return &tenancyv1.UpdateDeviceRequest{Device: d, UpdateMask: mask(paths...)}
	}
	updateDevice := func(req *tenancyv1.UpdateDeviceRequest) func(t *testing.T) error {
		return func(t *testing.T) error {
			_, err := h.client.UpdateDevice(as(t, owner), req)
			return err
		}
	}
	updateOrg := func(o *tenancyv1.Organization, paths ...string) func(t *testing.T) error {
		return func(t *testing.T) error {
			if o.Name == "" {
				o.Name = orgName("org1")
			}
			_, err := h.client.UpdateOrganization(as(t, owner), &tenancyv1.UpdateOrganizationRequest{Organization: o, UpdateMask: mask(paths...)})
			return err
		}
	}
	createDevice := func(parent, id string, change func(d *tenancyv1.Device)) func(t *testing.T) error {
		return func(t *testing.T) error {
			d := h.deviceInput(h.newSerial())
			if change != nil {
				change(d)
			}
			_, err := h.client.CreateDevice(as(t, owner), &tenancyv1.CreateDeviceRequest{Parent: parent, DeviceId: id, Device: d})
			return err
		}
	}
	createOrg := func(id string, o *tenancyv1.Organization) func(t *testing.T) error {
		return func(t *testing.T) error {
			_, err := h.client.CreateOrganization(as(t, owner), &tenancyv1.CreateOrganizationRequest{OrganizationId: id, Organization: o})
			return err
		}
	}
	call := func(p auth.Principal, f func(t *testing.T, p auth.Principal) error) func(t *testing.T) error {
		return func(t *testing.T) error { return f(t, p) }
	}
	pageToken := func(t *testing.T, req *tenancyv1.ListDevicesRequest) string {
		resp, err := h.client.ListDevices(as(t, owner), req)
		if err != nil || resp.GetNextPageToken() == "" {
			t.Fatalf("ListDevices for a token: %v, %v", resp, err)
		}
		return resp.GetNextPageToken()
	}
	orgsPageToken := func(t *testing.T) string {
		resp, err := h.client.ListOrganizations(as(t, owner), &tenancyv1.ListOrganizationsRequest{PageSize: 1})
		if err != nil || resp.GetNextPageToken() == "" {
			t.Fatalf("ListOrganizations for a token: %v, %v", resp, err)
		}
		return resp.GetNextPageToken()
	}
	tamper := func(tok string) string {
		b := []byte(tok)
		if b[len(b)/2] == 'A' {
			b[len(b)/2] = 'B'
		} else {
			b[len(b)/2] = 'A'
		}
		return string(b)
	}

	tests := []struct {
		name   string
		call   func(t *testing.T) error
		code   codes.Code
		reason string
		// field is the field the refusal names: in its BadRequest
		// violations, or where the rule has no field path, in its message.
		field string
	}{
		// Device fields.
		{"MAC with five octets", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.MacAddress = "00:11:22:33:44" }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.mac_address"},
		{"MAC with a non-hex octet", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.MacAddress = "00:11:22:33:44:GG" }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.mac_address"},
		{"MAC without separators", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.MacAddress = "001122334455" }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.mac_address"},
		{"unknown time zone", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.TimeZone = "Mars/Olympus" }),
			codes.InvalidArgument, "INVALID_TIME_ZONE", "device.time_zone"},
		{"Local time zone", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.TimeZone = "Local" }),
			codes.InvalidArgument, "INVALID_TIME_ZONE", "device.time_zone"},
		{"time zone path", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.TimeZone = "../../etc/passwd" }),
			codes.InvalidArgument, "INVALID_TIME_ZONE", "device.time_zone"},
		{"missing time zone", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.TimeZone = "" }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.time_zone"},
		{"short serial number", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.SerialNumber = "S16" }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.serial_number"},
		{"serial number with a space", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.SerialNumber = "S162 L2610" }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.serial_number"},
		{"duplicate serial number", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.SerialNumber = existing.GetSerialNumber() }),
			codes.AlreadyExists, "SERIAL_NUMBER_TAKEN", ""},
		{"duplicate serial number in another organization", createDevice(orgName("org2"), "", func(d *tenancyv1.Device) { d.SerialNumber = existing.GetSerialNumber() }),
			codes.AlreadyExists, "SERIAL_NUMBER_TAKEN", ""},
		{"duplicate device id", createDevice(orgName("org1"), "dev1", nil), codes.AlreadyExists, "ALREADY_EXISTS", ""},
		{"over-long device display name", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.DisplayName = long }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.display_name"},
		{"missing device display name", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.DisplayName = "" }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.display_name"},
		{"over-long model", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.Model = strings.Repeat("m", 65) }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.model"},
		{"missing license expiry", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) { d.License = nil }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.license.expire_time"},
		{"invalid license expiry", createDevice(orgName("org1"), "", func(d *tenancyv1.Device) {
			d.License = &tenancyv1.License{ExpireTime: &timestamppb.Timestamp{Seconds: 1 << 40}}
		}), codes.InvalidArgument, "INVALID_TIME", "device.license.expire_time"},
		{"bad device id", createDevice(orgName("org1"), "Dev_1", nil), codes.InvalidArgument, "INVALID_ARGUMENT", "device_id"},
		{"no device", func(t *testing.T) error {
			_, err := h.client.CreateDevice(as(t, owner), &tenancyv1.CreateDeviceRequest{Parent: orgName("org1")})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", "device"},

		// Organization fields.
		{"duplicate organization id", createOrg("org1", &tenancyv1.Organization{DisplayName: "Again"}), codes.AlreadyExists, "ALREADY_EXISTS", ""},
		{"another owner's organization id", createOrg("xorg", &tenancyv1.Organization{DisplayName: "Again"}), codes.AlreadyExists, "ALREADY_EXISTS", ""},
		{"over-long organization display name", createOrg("", &tenancyv1.Organization{DisplayName: long}),
			codes.InvalidArgument, "INVALID_ARGUMENT", "organization.display_name"},
		{"missing organization display name", createOrg("", &tenancyv1.Organization{}),
			codes.InvalidArgument, "INVALID_ARGUMENT", "organization.display_name"},
		{"upper-case organization id", createOrg("Acme", &tenancyv1.Organization{DisplayName: "Acme"}),
			codes.InvalidArgument, "INVALID_ARGUMENT", "organization_id"},
		{"one-letter organization id", createOrg("a", &tenancyv1.Organization{DisplayName: "Acme"}),
			codes.InvalidArgument, "INVALID_ARGUMENT", "organization_id"},

		// Malformed names.
		{"organization name with upper case", call(owner, func(t *testing.T, p auth.Principal) error {
			_, err := h.client.GetOrganization(as(t, p), &tenancyv1.GetOrganizationRequest{Name: "organizations/Org1"})
			return err
		}), codes.InvalidArgument, "INVALID_ARGUMENT", "name"},
		{"device name without device", call(owner, func(t *testing.T, p auth.Principal) error {
			_, err := h.client.GetDevice(as(t, p), &tenancyv1.GetDeviceRequest{Name: "organizations/org1/devices/"})
			return err
		}), codes.InvalidArgument, "INVALID_ARGUMENT", "name"},
		{"device name for delete", call(owner, func(t *testing.T, p auth.Principal) error {
			_, err := h.client.DeleteDevice(as(t, p), &tenancyv1.DeleteDeviceRequest{Name: "org1/dev1"})
			return err
		}), codes.InvalidArgument, "INVALID_ARGUMENT", "name"},
		{"organization name for delete", call(owner, func(t *testing.T, p auth.Principal) error {
			_, err := h.client.DeleteOrganization(as(t, p), &tenancyv1.DeleteOrganizationRequest{Name: "organizations/org1/", Force: true})
			return err
		}), codes.InvalidArgument, "INVALID_ARGUMENT", "name"},
		{"device as parent", createDevice(existing.GetName(), "", nil), codes.InvalidArgument, "INVALID_ARGUMENT", "parent"},
		{"device as list parent", call(owner, func(t *testing.T, p auth.Principal) error {
			_, err := h.client.ListDevices(as(t, p), &tenancyv1.ListDevicesRequest{Parent: existing.GetName()})
			return err
		}), codes.InvalidArgument, "INVALID_ARGUMENT", "parent"},
		{"malformed organization in update", updateOrg(&tenancyv1.Organization{Name: "orgs/org1", DisplayName: "X"}, "display_name"),
			codes.InvalidArgument, "INVALID_NAME", "organization.name"},
		{"organization name in device update", updateDevice(deviceUpdate(&tenancyv1.Device{Name: orgName("org1"), DisplayName: "X"}, "display_name")),
			codes.InvalidArgument, "INVALID_NAME", "device.name"},
		{"malformed target", call(service, func(t *testing.T, p auth.Principal) error {
			_, err := h.client.ResolveTarget(as(t, p), &tenancyv1.ResolveTargetRequest{Target: "devices/dev1"})
			return err
		}), codes.InvalidArgument, "INVALID_ARGUMENT", "target"},

		// Updates.
		{"over-long display name in organization update", updateOrg(&tenancyv1.Organization{DisplayName: long}, "display_name"),
			codes.InvalidArgument, "INVALID_ARGUMENT", "organization.display_name"},
		{"empty display name in organization update", updateOrg(&tenancyv1.Organization{}, "display_name"),
			codes.InvalidArgument, "INVALID_ARGUMENT", "organization.display_name"},
		{"owner in organization mask", updateOrg(&tenancyv1.Organization{Owner: "thief@example.com"}, "owner"),
			codes.InvalidArgument, "INVALID_ARGUMENT", "update_mask"},
		{"unknown path in organization mask", updateOrg(&tenancyv1.Organization{DisplayName: "X"}, "display_name", "colour"),
			codes.InvalidArgument, "INVALID_ARGUMENT", "update_mask"},
		{"empty organization mask", updateOrg(&tenancyv1.Organization{DisplayName: "X"}),
			codes.InvalidArgument, "REQUIRED_FIELD", "update_mask"},
		{"no organization mask", func(t *testing.T) error {
			_, err := h.client.UpdateOrganization(as(t, owner), &tenancyv1.UpdateOrganizationRequest{Organization: &tenancyv1.Organization{Name: orgName("org1"), DisplayName: "X"}})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", "update_mask"},
		{"over-long display name in device update", updateDevice(deviceUpdate(&tenancyv1.Device{DisplayName: long}, "display_name")),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.display_name"},
		{"empty display name in device update", updateDevice(deviceUpdate(&tenancyv1.Device{}, "display_name")),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.display_name"},
		{"unknown time zone in device update", updateDevice(deviceUpdate(&tenancyv1.Device{DisplayName: "Renamed", TimeZone: "Mars/Olympus"}, "display_name", "time_zone")),
			codes.InvalidArgument, "INVALID_TIME_ZONE", "device.time_zone"},
		{"empty time zone in device update", updateDevice(deviceUpdate(&tenancyv1.Device{}, "time_zone")),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.time_zone"},
		{"missing expiry in renewal", updateDevice(deviceUpdate(&tenancyv1.Device{}, "license.expire_time")),
			codes.InvalidArgument, "INVALID_ARGUMENT", "device.license.expire_time"},
		{"invalid expiry in renewal", updateDevice(deviceUpdate(&tenancyv1.Device{DisplayName: "Renamed",
			License: &tenancyv1.License{ExpireTime: &timestamppb.Timestamp{Seconds: 1, Nanos: 2e9}}}, "display_name", "license.expire_time")),
			codes.InvalidArgument, "INVALID_TIME", "device.license.expire_time"},
		{"serial number in device mask", updateDevice(deviceUpdate(&tenancyv1.Device{}, "serial_number")),
			codes.InvalidArgument, "IMMUTABLE_FIELD", "update_mask"},
		{"MAC address in device mask", updateDevice(deviceUpdate(&tenancyv1.Device{}, "mac_address")),
			codes.InvalidArgument, "INVALID_ARGUMENT", "update_mask"},
		{"whole license in device mask", updateDevice(deviceUpdate(&tenancyv1.Device{License: &tenancyv1.License{ExpireTime: timestamppb.Now()}}, "license")),
			codes.InvalidArgument, "INVALID_ARGUMENT", "update_mask"},
		{"license state in device mask", updateDevice(deviceUpdate(&tenancyv1.Device{}, "license.state")),
			codes.InvalidArgument, "INVALID_ARGUMENT", "update_mask"},
		{"name in device mask", updateDevice(deviceUpdate(&tenancyv1.Device{DisplayName: "X"}, "display_name", "name")),
			codes.InvalidArgument, "INVALID_ARGUMENT", "update_mask"},
		{"empty device mask", updateDevice(deviceUpdate(&tenancyv1.Device{DisplayName: "X"})),
			codes.InvalidArgument, "REQUIRED_FIELD", "update_mask"},

		// Listing.
		{"tampered organizations page token", func(t *testing.T) error {
			_, err := h.client.ListOrganizations(as(t, owner), &tenancyv1.ListOrganizationsRequest{PageSize: 1, PageToken: tamper(orgsPageToken(t))})
			return err
		}, codes.InvalidArgument, "INVALID_PAGE_TOKEN", "page_token"},
		{"tampered devices page token", func(t *testing.T) error {
			tok := pageToken(t, &tenancyv1.ListDevicesRequest{Parent: orgName("org1"), PageSize: 1})
			_, err := h.client.ListDevices(as(t, owner), &tenancyv1.ListDevicesRequest{Parent: orgName("org1"), PageSize: 1, PageToken: tamper(tok)})
			return err
		}, codes.InvalidArgument, "INVALID_PAGE_TOKEN", "page_token"},
		{"devices page token of another organization", func(t *testing.T) error {
			tok := pageToken(t, &tenancyv1.ListDevicesRequest{Parent: orgName("org1"), PageSize: 1})
			_, err := h.client.ListDevices(as(t, owner), &tenancyv1.ListDevicesRequest{Parent: orgName("org2"), PageSize: 1, PageToken: tok})
			return err
		}, codes.InvalidArgument, "INVALID_PAGE_TOKEN", "page_token"},
		{"organizations page token for devices", func(t *testing.T) error {
			_, err := h.client.ListDevices(as(t, owner), &tenancyv1.ListDevicesRequest{Parent: orgName("org1"), PageSize: 1, PageToken: orgsPageToken(t)})
			return err
		}, codes.InvalidArgument, "INVALID_PAGE_TOKEN", "page_token"},
		{"devices page token for organizations", func(t *testing.T) error {
			tok := pageToken(t, &tenancyv1.ListDevicesRequest{Parent: orgName("org1"), PageSize: 1})
			_, err := h.client.ListOrganizations(as(t, owner), &tenancyv1.ListOrganizationsRequest{PageSize: 1, PageToken: tok})
			return err
		}, codes.InvalidArgument, "INVALID_PAGE_TOKEN", "page_token"},
		{"negative page size", func(t *testing.T) error {
			_, err := h.client.ListOrganizations(as(t, owner), &tenancyv1.ListOrganizationsRequest{PageSize: -1})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", "page_size"},
		{"page size above 1000", func(t *testing.T) error {
			_, err := h.client.ListDevices(as(t, owner), &tenancyv1.ListDevicesRequest{Parent: orgName("org1"), PageSize: 1001})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", "page_size"},
		{"unknown license state", func(t *testing.T) error {
			_, err := h.client.ListDevices(as(t, owner), &tenancyv1.ListDevicesRequest{Parent: orgName("org1"), LicenseState: 7})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", "license_state"},

		// Deletion.
		{"delete an organization that holds devices", func(t *testing.T) error {
			_, err := h.client.DeleteOrganization(as(t, owner), &tenancyv1.DeleteOrganizationRequest{Name: orgName("org1")})
			return err
		}, codes.FailedPrecondition, "ORGANIZATION_NOT_EMPTY", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.snapshot(t, everyone()...)
			s := requireStatus(t, tc.call(t), tc.code, tc.reason)
			if tc.field != "" {
				fields := fieldsOf(s)
				if !slices.Contains(fields, tc.field) && !strings.Contains(s.Message(), tc.field) {
					t.Errorf("refusal names fields %q and says %q; want it to name %s", fields, s.Message(), tc.field)
				}
			}
			if after := h.snapshot(t, everyone()...); !before.equal(after) {
				t.Fatalf("state changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}
