package tenancy

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tollgate/tollgate/pkg/access"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

const absent = membershipv1.Privilege_PRIVILEGE_UNSPECIFIED // no exceptional case

var (
	grantablePrivileges = []membershipv1.Privilege{privNone, privMember, privAdmin}
	optionalPrivileges  = []membershipv1.Privilege{absent, privNone, privMember, privAdmin}
)

// grantSetup is one member configuration: an access privilege and cases.
type grantSetup struct {
	def   membershipv1.Privilege
	cases map[string]membershipv1.Privilege
}

func (s grantSetup) String() string { return fmt.Sprintf("default %s, cases %v", s.def, s.cases) }

func (s grantSetup) grant() access.Grant {
	return access.Grant{AccessPrivilege: s.def, Cases: maps.Clone(s.cases)}
}

// The oracle is DESIGN.md "Members", written out plainly and apart from
// pkg/access: on a device, its case, else its organization's case, else
// the access privilege; on an organization, its case, else the access
// privilege; an organization is visible if it or any of its devices is.

func (s grantSetup) onDevice(org, device string) membershipv1.Privilege {
	if p, ok := s.cases[device]; ok {
		return p
	}
	return s.onOrganization(org)
}

func (s grantSetup) onOrganization(org string) membershipv1.Privilege {
	if p, ok := s.cases[org]; ok {
		return p
	}
	return s.def
}

func (s grantSetup) seesOrganization(org string, devices []string) bool {
	if s.onOrganization(org) != privNone {
		return true
	}
	for _, d := range devices {
		if s.onDevice(org, d) != privNone {
			return true
		}
	}
	return false
}

// expectedCode is the answer to an action on a device on which the member
// has p, for an action that needs ADMIN or only a view.
func expectedCode(p membershipv1.Privilege, needsAdmin bool) codes.Code {
	switch {
	case p == privNone:
		return codes.NotFound
	case needsAdmin && p != privAdmin:
		return codes.PermissionDenied
	}
	return codes.OK
}

// TestPrecedence compares what a member can see and do with the oracle over
// every combination of access privilege, o1 case and d1 case (with random
// cases elsewhere), then over fully random configurations. Cases on
// devices that no longer exist must not make an organization visible.
func TestPrecedence(t *testing.T) {
	h := newHarness(t)
	devices := map[string][]string{
		o1: {d1, d2, deviceName("org1", "dev3")},
		o2: {e1},
		o3: {},
	}
	for _, org := range []string{"org1", "org2", "org3"} {
		h.createOrg(t, owner, org)
	}
	for _, d := range []string{"dev1", "dev2", "dev3"} {
		h.createDevice(t, owner, "org1", d)
	}
	h.createDevice(t, owner, "org2", "dev4")
	h.createDevice(t, owner, "org2", "gone")
	if _, err := h.client.DeleteDevice(as(t, owner), &tenancyv1.DeleteDeviceRequest{Name: deviceName("org2", "gone")}); err != nil {
		t.Fatal(err)
	}
	h.createOrg(t, other, "xorg")
	h.createDevice(t, other, "xorg", "xdev")
	h.grants.set(annEmail, otherEmail, grant(privNone))
	orgs := []string{o1, o2, o3}
	targets := []string{o1, o2, o3, d1, d2, deviceName("org1", "dev3"), e1, deviceName("org2", "gone"), deviceName("org3", "never")}

	rng := rand.New(rand.NewPCG(2026, 3))
	randomCases := func(s grantSetup, targets []string) {
		for _, target := range targets {
			if p := optionalPrivileges[rng.IntN(len(optionalPrivileges))]; p != absent {
				s.cases[target] = p
			}
		}
	}
	var setups []grantSetup
	for _, def := range grantablePrivileges {
		for _, orgCase := range optionalPrivileges {
			for _, deviceCase := range optionalPrivileges {
				s := grantSetup{def: def, cases: map[string]membershipv1.Privilege{}}
				if orgCase != absent {
					s.cases[o1] = orgCase
				}
				if deviceCase != absent {
					s.cases[d1] = deviceCase
				}
				randomCases(s, slices.DeleteFunc(slices.Clone(targets), func(x string) bool { return x == o1 || x == d1 }))
				setups = append(setups, s)
			}
		}
	}
	for range 100 {
		s := grantSetup{def: grantablePrivileges[rng.IntN(len(grantablePrivileges))], cases: map[string]membershipv1.Privilege{}}
		randomCases(s, targets)
		setups = append(setups, s)
	}

	for _, s := range setups {
		h.grants.set(annEmail, ownerEmail, s.grant())
		var wantOrgs []string
		for _, org := range orgs {
			visible := s.seesOrganization(org, devices[org])
			if visible {
				wantOrgs = append(wantOrgs, org)
			}
			_, err := h.client.GetOrganization(as(t, ann), &tenancyv1.GetOrganizationRequest{Name: org})
			if got, want := codeOf(err), codeIf(visible, codes.OK, codes.NotFound); got != want {
				t.Fatalf("%v: GetOrganization(%s) = %s, want %s", s, org, got, want)
			}

			_, err = h.client.UpdateOrganization(as(t, ann), updateOrgDisplayName(org))
			want := codes.PermissionDenied // visible, possibly through a device only
			switch {
			case !visible:
				want = codes.NotFound
			case s.onOrganization(org) == privAdmin:
				want = codes.OK
			}
			if got := codeOf(err); got != want {
				t.Fatalf("%v: UpdateOrganization(%s) = %s, want %s", s, org, got, want)
			}

			resp, err := h.client.ListDevices(as(t, ann), &tenancyv1.ListDevicesRequest{Parent: org})
			if !visible {
				if got := codeOf(err); got != codes.NotFound {
					t.Fatalf("%v: ListDevices(%s) = %s, want NotFound", s, org, got)
				}
			} else {
				if err != nil {
					t.Fatalf("%v: ListDevices(%s): %v", s, org, err)
				}
				want := []string{}
				for _, d := range devices[org] {
					if s.onDevice(org, d) != privNone {
						want = append(want, d)
					}
				}
				if got := namesOfDevices(resp.GetDevices()); !slices.Equal(got, want) {
					t.Fatalf("%v: ListDevices(%s) = %q, want %q", s, org, got, want)
				}
			}

			for _, d := range devices[org] {
				p := s.onDevice(org, d)
				_, err := h.client.GetDevice(as(t, ann), &tenancyv1.GetDeviceRequest{Name: d})
				if got, want := codeOf(err), expectedCode(p, false); got != want {
					t.Fatalf("%v: GetDevice(%s) = %s, want %s", s, d, got, want)
				}
				_, err = h.client.UpdateDevice(as(t, ann), &tenancyv1.UpdateDeviceRequest{
					Device:     &tenancyv1.Device{Name: d, Model: "USG FLEX 500", SerialNumber: "S162L00000000", MacAddress: "00:00:00:00:00:00"},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"model"}},
				})
				if got, want := codeOf(err), expectedCode(p, true); got != want {
					t.Fatalf("%v: UpdateDevice(%s) = %s, want %s", s, d, got, want)
				}
			}
		}
		listed, _ := h.listAllOrgs(t, ann, 0)
		if !slices.Equal(listed, append([]string{}, wantOrgs...)) {
			t.Fatalf("%v: ListOrganizations = %q, want %q", s, listed, wantOrgs)
		}
	}
}

func codeOf(err error) codes.Code { return status.Code(err) }

func codeIf(cond bool, yes, no codes.Code) codes.Code {
	if cond {
		return yes
	}
	return no
}
