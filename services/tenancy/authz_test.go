package tenancy

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tollgate/tollgate/pkg/access"
	"github.com/tollgate/tollgate/pkg/auth"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// The matrix fixture: the owner's organizations o1 (devices d1, d2), o2
// (device e1) and o3 (empty); another owner's x1 (device x1d).
var (
	o1  = orgName("org1")
	o2  = orgName("org2")
	o3  = orgName("org3")
	x1  = orgName("xorg")
	d1  = deviceName("org1", "dev1")
	d2  = deviceName("org1", "dev2")
	e1  = deviceName("org2", "dev4")
	x1d = deviceName("xorg", "xdev")
)

func (h *harness) matrixFixture(t *testing.T) {
	t.Helper()
	h.createOrg(t, owner, "org1")
	h.createDevice(t, owner, "org1", "dev1")
	h.createDevice(t, owner, "org1", "dev2")
	h.createOrg(t, owner, "org2")
	h.createDevice(t, owner, "org2", "dev4")
	h.createOrg(t, owner, "org3")
	h.createOrg(t, other, "xorg")
	h.createDevice(t, other, "xorg", "xdev")
}

// caller is one kind of principal of the matrix, with what the owner (and
// for the outsider, another owner) granted them.
type caller struct {
	name   string
	p      auth.Principal
	grants map[string]access.Grant // owner → grant
}

var matrixCallers = []caller{
	{"owner", owner, nil},
	{"default ADMIN", user("default-admin@example.com"), map[string]access.Grant{ownerEmail: grant(privAdmin)}},
	{"default MEMBER", user("default-member@example.com"), map[string]access.Grant{ownerEmail: grant(privMember)}},
	{"default NONE", user("default-none@example.com"), map[string]access.Grant{ownerEmail: grant(privNone)}},
	{"organization ADMIN", user("org-admin@example.com"), map[string]access.Grant{ownerEmail: grant(privNone, o1, privAdmin)}},
	{"organization MEMBER", user("org-member@example.com"), map[string]access.Grant{ownerEmail: grant(privNone, o1, privMember)}},
	{"organization NONE", user("org-none@example.com"), map[string]access.Grant{ownerEmail: grant(privAdmin, o1, privNone)}},
	{"device ADMIN", user("device-admin@example.com"), map[string]access.Grant{ownerEmail: grant(privNone, d1, privAdmin)}},
	{"device MEMBER", user("device-member@example.com"), map[string]access.Grant{ownerEmail: grant(privNone, d1, privMember)}},
	{"device NONE", user("device-none@example.com"), map[string]access.Grant{ownerEmail: grant(privAdmin, d1, privNone)}},
	// Organization ADMIN, but NONE on one of its devices.
	{"downgrade", user("downgrade@example.com"), map[string]access.Grant{ownerEmail: grant(privMember, o1, privAdmin, d1, privNone)}},
	// Nothing from the owner; ADMIN of another owner's account.
	{"outsider", user("outsider@example.com"), map[string]access.Grant{otherEmail: grant(privAdmin)}},
	{"token", token, nil},
	{"service", service, nil},
}

// everyone lists every user who may own an organization in the tests.
func everyone() []string {
	out := []string{ownerEmail, otherEmail, annEmail}
	for _, c := range matrixCallers {
		if c.p.Kind == auth.KindUser && c.p.Email != ownerEmail {
			out = append(out, c.p.Email)
		}
	}
	return out
}

// outcome is the expected answer of one RPC to one caller: a code and
// reason and, for lists, exactly the names listed.
type outcome struct {
	code   codes.Code
	reason string
	items  []string
}

var (
	ok           = outcome{code: codes.OK}
	hidden       = outcome{code: codes.NotFound, reason: "NOT_FOUND"}
	refused      = outcome{code: codes.PermissionDenied, reason: "PERMISSION_DENIED"}
	tokenScope   = outcome{code: codes.PermissionDenied, reason: "TOKEN_SCOPE"}
	userRequired = outcome{code: codes.PermissionDenied, reason: "USER_REQUIRED"}
	internalOnly = outcome{code: codes.PermissionDenied, reason: "INTERNAL_ONLY"}
)

func listed(names ...string) outcome {
	return outcome{code: codes.OK, items: append([]string{}, names...)}
}

// users is the expectation of a user-facing RPC, one outcome per user
// caller in matrixCallers order (owner … outsider); tokens and services
// are refused the user-facing RPCs.
func users(owner, defAdmin, defMember, defNone, orgAdmin, orgMember, orgNone, devAdmin, devMember, devNone, downgrade, outsider outcome) map[string]outcome {
	return map[string]outcome{
		"owner": owner, "default ADMIN": defAdmin, "default MEMBER": defMember, "default NONE": defNone,
		"organization ADMIN": orgAdmin, "organization MEMBER": orgMember, "organization NONE": orgNone,
		"device ADMIN": devAdmin, "device MEMBER": devMember, "device NONE": devNone,
		"downgrade": downgrade, "outsider": outsider,
		"token": tokenScope, "service": userRequired,
	}
}

// matrixRPC calls one RPC; it returns the listed names for list RPCs and
// checks the effect of a successful mutation.
type matrixRPC struct {
	name string
	call func(t *testing.T, h *harness, p auth.Principal) ([]string, error)
	// effect checks, after a successful call, that it did what it says.
	effect func(t *testing.T, h *harness, p auth.Principal)
	want   map[string]outcome
}

func updateOrgDisplayName(name string) *tenancyv1.UpdateOrganizationRequest {
	return &tenancyv1.UpdateOrganizationRequest{
		Organization: &tenancyv1.Organization{Name: name, DisplayName: "Renamed"},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	}
}

// updateDeviceDisplayName renames a device. The request carries the
// device's serial number and MAC address because the proto's field rules
// refuse a partial device (see TestUpdateDeviceAcceptsPartialDevice).
func updateDeviceDisplayName(h *harness, t *testing.T, name, displayName string) *tenancyv1.UpdateDeviceRequest {
	stored := h.getDevice(t, name)
	return &tenancyv1.UpdateDeviceRequest{
		Device:     &tenancyv1.Device{Name: name, DisplayName: displayName, SerialNumber: stored.GetSerialNumber(), MacAddress: stored.GetMacAddress()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	}
}

func matrixRPCs() []matrixRPC {
	requireGone := func(t *testing.T, h *harness, name string) {
		t.Helper()
		var err error
		if strings.Contains(name, "/devices/") {
			_, err = h.client.GetDevice(as(t, owner), &tenancyv1.GetDeviceRequest{Name: name})
		} else {
			_, err = h.client.GetOrganization(as(t, owner), &tenancyv1.GetOrganizationRequest{Name: name})
		}
		requireStatus(t, err, codes.NotFound, "NOT_FOUND")
	}
	requireTold := func(t *testing.T, h *harness, want ...string) {
		t.Helper()
		if got := h.cleaner.told(); !slices.Equal(got, want) {
			t.Fatalf("cleaner told %q, want %q", got, want)
		}
	}
	return []matrixRPC{
		{
			name: "CreateOrganization",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				_, err := h.client.CreateOrganization(as(t, p), &tenancyv1.CreateOrganizationRequest{
					OrganizationId: "new", Organization: &tenancyv1.Organization{DisplayName: "New"},
				})
				return nil, err
			},
			effect: func(t *testing.T, h *harness, p auth.Principal) {
				got, err := h.client.GetOrganization(as(t, p), &tenancyv1.GetOrganizationRequest{Name: orgName("new")})
				if err != nil || got.GetOrganization().GetOwner() != p.Email {
					t.Fatalf("created organization = %v, %v; want one owned by %s", got.GetOrganization(), err, p.Email)
				}
			},
			// Everyone creates organizations in their own account.
			want: users(ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok),
		},
		{
			name: "GetOrganization o1",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				_, err := h.client.GetOrganization(as(t, p), &tenancyv1.GetOrganizationRequest{Name: o1})
				return nil, err
			},
			// Device cases make o1 visible; organization NONE hides it.
			want: users(ok, ok, ok, hidden, ok, ok, hidden, ok, ok, ok, ok, hidden),
		},
		{
			name: "GetOrganization o2",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				_, err := h.client.GetOrganization(as(t, p), &tenancyv1.GetOrganizationRequest{Name: o2})
				return nil, err
			},
			// Cases on o1 and d1 say nothing about o2: the default decides.
			want: users(ok, ok, ok, hidden, hidden, hidden, ok, hidden, hidden, ok, ok, hidden),
		},
		{
			name: "ListOrganizations",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				resp, err := h.client.ListOrganizations(as(t, p), &tenancyv1.ListOrganizationsRequest{})
				return namesOfOrgs(resp.GetOrganizations()), err
			},
			want: users(
				listed(o1, o2, o3), listed(o1, o2, o3), listed(o1, o2, o3), listed(),
				listed(o1), listed(o1), listed(o2, o3),
				listed(o1), listed(o1), listed(o1, o2, o3),
				listed(o1, o2, o3), listed(x1),
			),
		},
		{
			name: "UpdateOrganization o1",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				_, err := h.client.UpdateOrganization(as(t, p), updateOrgDisplayName(o1))
				return nil, err
			},
			effect: func(t *testing.T, h *harness, _ auth.Principal) {
				got, err := h.client.GetOrganization(as(t, owner), &tenancyv1.GetOrganizationRequest{Name: o1})
				if err != nil || got.GetOrganization().GetDisplayName() != "Renamed" {
					t.Fatalf("after update: %v, %v", got.GetOrganization(), err)
				}
			},
			// A device case shows the organization but does not let its
			// holder change it.
			want: users(ok, ok, refused, hidden, ok, refused, hidden, refused, refused, ok, ok, hidden),
		},
		{
			name: "DeleteOrganization o1 force",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				_, err := h.client.DeleteOrganization(as(t, p), &tenancyv1.DeleteOrganizationRequest{Name: o1, Force: true})
				return nil, err
			},
			effect: func(t *testing.T, h *harness, _ auth.Principal) {
				for _, name := range []string{o1, d1, d2} {
					requireGone(t, h, name)
				}
				requireTold(t, h, "device "+d1, "device "+d2, "organization "+o1)
			},
			// Only the owner deletes organizations.
			want: users(ok, refused, refused, hidden, refused, refused, hidden, refused, refused, refused, refused, hidden),
		},
		{
			name: "CreateDevice in o1",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				_, err := h.client.CreateDevice(as(t, p), &tenancyv1.CreateDeviceRequest{
					Parent: o1, DeviceId: "new", Device: h.deviceInput(h.newSerial()),
				})
				return nil, err
			},
			effect: func(t *testing.T, h *harness, _ auth.Principal) { h.getDevice(t, deviceName("org1", "new")) },
			want:   users(ok, ok, refused, hidden, ok, refused, hidden, refused, refused, ok, ok, hidden),
		},
		{
			name: "GetDevice d1",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				_, err := h.client.GetDevice(as(t, p), &tenancyv1.GetDeviceRequest{Name: d1})
				return nil, err
			},
			want: users(ok, ok, ok, hidden, ok, ok, hidden, ok, ok, hidden, hidden, hidden),
		},
		{
			name: "GetDevice d2",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				_, err := h.client.GetDevice(as(t, p), &tenancyv1.GetDeviceRequest{Name: d2})
				return nil, err
			},
			want: users(ok, ok, ok, hidden, ok, ok, hidden, hidden, hidden, ok, ok, hidden),
		},
		{
			name: "ListDevices o1",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				resp, err := h.client.ListDevices(as(t, p), &tenancyv1.ListDevicesRequest{Parent: o1})
				return namesOfDevices(resp.GetDevices()), err
			},
			want: users(
				listed(d1, d2), listed(d1, d2), listed(d1, d2), hidden,
				listed(d1, d2), listed(d1, d2), hidden,
				listed(d1), listed(d1), listed(d2),
				listed(d2), hidden,
			),
		},
		{
			name: "UpdateDevice d1",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				_, err := h.client.UpdateDevice(as(t, p), updateDeviceDisplayName(h, t, d1, "Renamed"))
				return nil, err
			},
			effect: func(t *testing.T, h *harness, _ auth.Principal) {
				if got := h.getDevice(t, d1).GetDisplayName(); got != "Renamed" {
					t.Fatalf("display name after update = %q", got)
				}
			},
			want: users(ok, ok, refused, hidden, ok, refused, hidden, ok, refused, hidden, hidden, hidden),
		},
		{
			name: "UpdateDevice d2",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				_, err := h.client.UpdateDevice(as(t, p), updateDeviceDisplayName(h, t, d2, "Renamed"))
				return nil, err
			},
			effect: func(t *testing.T, h *harness, _ auth.Principal) {
				if got := h.getDevice(t, d2).GetDisplayName(); got != "Renamed" {
					t.Fatalf("display name after update = %q", got)
				}
			},
			want: users(ok, ok, refused, hidden, ok, refused, hidden, hidden, hidden, ok, ok, hidden),
		},
		{
			name: "DeleteDevice d1",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				_, err := h.client.DeleteDevice(as(t, p), &tenancyv1.DeleteDeviceRequest{Name: d1})
				return nil, err
			},
			effect: func(t *testing.T, h *harness, _ auth.Principal) {
				requireGone(t, h, d1)
				requireTold(t, h, "device "+d1)
			},
			want: users(ok, ok, refused, hidden, ok, refused, hidden, ok, refused, hidden, hidden, hidden),
		},
		{
			name: "ResolveTarget d1",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				resp, err := h.client.ResolveTarget(as(t, p), &tenancyv1.ResolveTargetRequest{Target: d1})
				if err == nil && (resp.GetOwner() != ownerEmail || resp.GetOrganization().GetName() != o1 || resp.GetDevice().GetName() != d1) {
					t.Errorf("ResolveTarget = %v", resp)
				}
				return nil, err
			},
			want: internalOnlyRPC(),
		},
		{
			name: "ResolveTarget x1",
			call: func(t *testing.T, h *harness, p auth.Principal) ([]string, error) {
				resp, err := h.client.ResolveTarget(as(t, p), &tenancyv1.ResolveTargetRequest{Target: x1})
				if err == nil && (resp.GetOwner() != otherEmail || resp.GetOrganization().GetName() != x1 || resp.GetDevice() != nil) {
					t.Errorf("ResolveTarget = %v", resp)
				}
				return nil, err
			},
			want: internalOnlyRPC(),
		},
	}
}

func internalOnlyRPC() map[string]outcome {
	want := users(internalOnly, internalOnly, internalOnly, internalOnly, internalOnly, internalOnly,
		internalOnly, internalOnly, internalOnly, internalOnly, internalOnly, internalOnly)
	want["token"], want["service"] = internalOnly, ok
	return want
}

// TestAuthorizationMatrix calls every RPC as every kind of caller on a
// fresh fixture, and checks the answer, what a list shows, that a refused
// call changed nothing and that an allowed mutation took effect.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	for _, rpc := range matrixRPCs() {
		for _, c := range matrixCallers {
			t.Run(rpc.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				want, ok := rpc.want[c.name]
				if !ok {
					t.Fatalf("no expectation for %s", c.name)
				}
				h := newHarness(t)
				h.matrixFixture(t)
				for grantor, g := range c.grants {
					h.grants.set(c.p.Email, grantor, g)
				}
				before := h.snapshot(t, everyone()...)
				items, err := rpc.call(t, h, c.p)
				requireStatus(t, err, want.code, want.reason)
				if want.items != nil && !slices.Equal(items, want.items) {
					t.Fatalf("listed %q, want %q", items, want.items)
				}
				switch {
				case want.code != codes.OK:
					if after := h.snapshot(t, everyone()...); !before.equal(after) {
						t.Fatalf("refused call changed the state:\nbefore %v\nafter  %v", before, after)
					}
				case rpc.effect != nil:
					rpc.effect(t, h, c.p)
				}
			})
		}
	}
}

// TestInvisibleLooksMissing checks that what a caller may not see is
// refused exactly like what does not exist: same code, reason and message
// but for the name, whatever the RPC.
func TestInvisibleLooksMissing(t *testing.T) {
	h := newHarness(t)
	h.matrixFixture(t)
	outsider := user("outsider@example.com")
	h.grants.set("none@example.com", ownerEmail, grant(privNone))
	none := user("none@example.com")
	type refusal struct{ code, reason, message string }
	refuse := func(t *testing.T, p auth.Principal, name string, call func(name string) error) refusal {
		t.Helper()
		s := requireStatus(t, call(name), codes.NotFound, "NOT_FOUND")
		return refusal{s.Code().String(), "NOT_FOUND", strings.ReplaceAll(s.Message(), `"`+name+`"`, "NAME")}
	}
	rpcs := []struct {
		name     string
		existing string
		missing  []string
		call     func(t *testing.T, p auth.Principal) func(name string) error
	}{
		{"GetOrganization", o1, []string{orgName("zzz")}, func(t *testing.T, p auth.Principal) func(string) error {
			return func(name string) error {
				_, err := h.client.GetOrganization(as(t, p), &tenancyv1.GetOrganizationRequest{Name: name})
				return err
			}
		}},
		{"UpdateOrganization", o1, []string{orgName("zzz")}, func(t *testing.T, p auth.Principal) func(string) error {
			return func(name string) error {
				_, err := h.client.UpdateOrganization(as(t, p), updateOrgDisplayName(name))
				return err
			}
		}},
		{"DeleteOrganization", o1, []string{orgName("zzz")}, func(t *testing.T, p auth.Principal) func(string) error {
			return func(name string) error {
				_, err := h.client.DeleteOrganization(as(t, p), &tenancyv1.DeleteOrganizationRequest{Name: name, Force: true})
				return err
			}
		}},
		{"ListDevices", o1, []string{orgName("zzz")}, func(t *testing.T, p auth.Principal) func(string) error {
			return func(name string) error {
				_, err := h.client.ListDevices(as(t, p), &tenancyv1.ListDevicesRequest{Parent: name})
				return err
			}
		}},
		{"CreateDevice", o1, []string{orgName("zzz")}, func(t *testing.T, p auth.Principal) func(string) error {
			return func(name string) error {
				_, err := h.client.CreateDevice(as(t, p), &tenancyv1.CreateDeviceRequest{Parent: name, Device: h.deviceInput(h.newSerial())})
				return err
			}
		}},
		{"GetDevice", d1, []string{deviceName("org1", "zzz"), deviceName("zzz", "dev1")}, func(t *testing.T, p auth.Principal) func(string) error {
			return func(name string) error {
				_, err := h.client.GetDevice(as(t, p), &tenancyv1.GetDeviceRequest{Name: name})
				return err
			}
		}},
		{"DeleteDevice", d1, []string{deviceName("org1", "zzz"), deviceName("zzz", "dev1")}, func(t *testing.T, p auth.Principal) func(string) error {
			return func(name string) error {
				_, err := h.client.DeleteDevice(as(t, p), &tenancyv1.DeleteDeviceRequest{Name: name})
				return err
			}
		}},
	}
	for _, rpc := range rpcs {
		t.Run(rpc.name, func(t *testing.T) {
			for _, p := range []auth.Principal{outsider, none} {
				want := refuse(t, p, rpc.existing, rpc.call(t, p))
				for _, missing := range rpc.missing {
					// Even the owner learns nothing more about what is missing.
					for _, asker := range []auth.Principal{p, owner} {
						if got := refuse(t, asker, missing, rpc.call(t, asker)); got != want {
							t.Errorf("%s: invisible %s refused with %+v, missing %s (asked by %s) with %+v", p, rpc.existing, want, missing, asker, got)
						}
					}
				}
			}
		})
	}
}

// TestPrivilegeChangesTakeEffectOnNextRequest lowers and removes a grant
// between two requests: nothing is cached.
func TestPrivilegeChangesTakeEffectOnNextRequest(t *testing.T) {
	h := newHarness(t)
	h.matrixFixture(t)
	get := func() error {
		_, err := h.client.GetDevice(as(t, ann), &tenancyv1.GetDeviceRequest{Name: d1})
		return err
	}
	update := func() error {
		_, err := h.client.UpdateDevice(as(t, ann), updateDeviceDisplayName(h, t, d1, "By Ann"))
		return err
	}
	h.grants.set(annEmail, ownerEmail, grant(privAdmin))
	requireStatus(t, update(), codes.OK, "")
	h.grants.set(annEmail, ownerEmail, grant(privMember))
	requireStatus(t, update(), codes.PermissionDenied, "PERMISSION_DENIED")
	requireStatus(t, get(), codes.OK, "")
	h.grants.set(annEmail, ownerEmail, grant(privMember, d1, privNone))
	requireStatus(t, get(), codes.NotFound, "NOT_FOUND")
	h.grants.set(annEmail, ownerEmail, grant(privAdmin))
	requireStatus(t, get(), codes.OK, "")
	h.grants.remove(annEmail, ownerEmail)
	requireStatus(t, get(), codes.NotFound, "NOT_FOUND")
	resp, err := h.client.ListOrganizations(as(t, ann), &tenancyv1.ListOrganizationsRequest{})
	if err != nil || len(resp.GetOrganizations()) != 0 {
		t.Fatalf("ListOrganizations after removal = %v, %v", resp.GetOrganizations(), err)
	}
}

// TestMembershipDown checks that members get UNAVAILABLE, not a wrong
// answer, while grants cannot be read; the owner's own reads need none.
func TestMembershipDown(t *testing.T) {
	h := newHarness(t)
	h.matrixFixture(t)
	h.grants.set(annEmail, ownerEmail, grant(privAdmin))
	h.grants.setDown(true)
	_, err := h.client.GetDevice(as(t, ann), &tenancyv1.GetDeviceRequest{Name: d1})
	requireStatus(t, err, codes.Unavailable, "")
	_, err = h.client.ListOrganizations(as(t, ann), &tenancyv1.ListOrganizationsRequest{})
	requireStatus(t, err, codes.Unavailable, "")
	if _, err := h.client.GetDevice(as(t, owner), &tenancyv1.GetDeviceRequest{Name: d1}); err != nil {
		t.Fatalf("owner's GetDevice with membership down: %v", err)
	}
	h.grants.setDown(false)
	if _, err := h.client.GetDevice(as(t, ann), &tenancyv1.GetDeviceRequest{Name: d1}); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}
