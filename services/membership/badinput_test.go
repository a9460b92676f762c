package membership

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

// state is everything the service keeps about the owner's account and the
// test member, as the owner and a peer service see it.
type state struct {
	members *membershipv1.ListMembersResponse
	grants  *membershipv1.ListGrantsResponse
}

func (h *harness) state(t *testing.T) state {
	t.Helper()
	members, err := h.client.ListMembers(as(t, owner), &membershipv1.ListMembersRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	grants, err := h.client.ListGrants(as(t, service), &membershipv1.ListGrantsRequest{User: annEmail})
	if err != nil {
		t.Fatal(err)
	}
	return state{members: members, grants: grants}
}

func (s state) equal(o state) bool {
	return proto.Equal(s.members, o.members) && proto.Equal(s.grants, o.grants)
}

func createRequest(email string, def membershipv1.Privilege, cases ...*membershipv1.ExceptionalCase) *membershipv1.CreateMemberRequest {
	return &membershipv1.CreateMemberRequest{Member: &membershipv1.Member{Email: email, AccessPrivilege: def, ExceptionalCases: cases}}
}

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// TestBadInputChangesNothing sends requests that must be refused, checks
// the code, reason and field of each refusal, and that the service's state
// is exactly what it was before.
func TestBadInputChangesNothing(t *testing.T) {
	h := newHarness(t)
	member := h.createMember(t, annEmail, privMember, exceptionalCase("organizations/o1", privAdmin))
	name := member.GetName()
	const (
		ownTarget     = "organizations/o1/devices/d1"
		unknownTarget = "organizations/nowhere"
		foreignTarget = "organizations/x1/devices/x1d" // exists, but belongs to other@example.com
	)
	update := func(m *membershipv1.Member, paths ...string) func(t *testing.T) error {
		return func(t *testing.T) error {
			_, err := h.client.UpdateMember(as(t, owner), &membershipv1.UpdateMemberRequest{Member: m, UpdateMask: mask(paths...)})
			return err
		}
	}
	create := func(req *membershipv1.CreateMemberRequest) func(t *testing.T) error {
		return func(t *testing.T) error {
			_, err := h.client.CreateMember(as(t, owner), req)
			return err
		}
	}
	full := func(email string, def membershipv1.Privilege, cases ...*membershipv1.ExceptionalCase) *membershipv1.Member {
		return &membershipv1.Member{Name: name, Email: email, AccessPrivilege: def, ExceptionalCases: cases}
	}

	tests := []struct {
		name   string
		call   func(t *testing.T) error
		code   codes.Code
		reason string
		field  string
	}{
		{"malformed email", create(createRequest("not-an-email", privMember)), codes.InvalidArgument, "INVALID_EMAIL", "member.email"},
		{"own email", create(createRequest("Owner@Example.COM", privMember)), codes.InvalidArgument, "CANNOT_ADD_SELF", "member.email"},
		{"duplicate email", create(createRequest("ANN@example.com", privAdmin)), codes.AlreadyExists, "MEMBER_EXISTS", ""},
		{"no access privilege", create(createRequest("bob@example.com", absent)), codes.InvalidArgument, "INVALID_ARGUMENT", "member"},
		{"owner privilege granted", create(createRequest("bob@example.com", privMember, exceptionalCase(ownTarget, privOwner))),
			codes.InvalidArgument, "INVALID_ARGUMENT", "member.exceptional_cases[0].privilege"},
		{"malformed target", create(createRequest("bob@example.com", privMember, exceptionalCase("devices/d1", privAdmin))),
			codes.InvalidArgument, "INVALID_ARGUMENT", "member.exceptional_cases[0].target"},
		{"unknown target", create(createRequest("bob@example.com", privMember, exceptionalCase(ownTarget, privNone), exceptionalCase(unknownTarget, privAdmin))),
			codes.InvalidArgument, "UNKNOWN_TARGET", "member.exceptional_cases[1].target"},
		{"another owner's target", create(createRequest("bob@example.com", privMember, exceptionalCase(foreignTarget, privAdmin))),
			codes.InvalidArgument, "UNKNOWN_TARGET", "member.exceptional_cases[0].target"},
		{"duplicate target", create(createRequest("bob@example.com", privMember, exceptionalCase(ownTarget, privNone), exceptionalCase(ownTarget, privAdmin))),
			codes.InvalidArgument, "DUPLICATE_TARGET", "member.exceptional_cases[1].target"},

		{"email in mask, same value", update(full(annEmail, privMember), "email"), codes.InvalidArgument, "IMMUTABLE_FIELD", "update_mask"},
		{"email in mask, new value", update(full("bob@example.com", privAdmin), "access_privilege", "email"), codes.InvalidArgument, "IMMUTABLE_FIELD", "update_mask"},
		{"unknown mask path", update(full(annEmail, privAdmin), "access_privilege", "display_name"), codes.InvalidArgument, "INVALID_FIELD_MASK", "update_mask"},
		{"output-only mask path", update(full(annEmail, privAdmin), "owner"), codes.InvalidArgument, "INVALID_FIELD_MASK", "update_mask"},
		{"empty mask", update(full(annEmail, privAdmin)), codes.InvalidArgument, "REQUIRED_FIELD", "update_mask"},
		{"update to unknown target", update(full(annEmail, privMember, exceptionalCase(unknownTarget, privAdmin)), "exceptional_cases"),
			codes.InvalidArgument, "UNKNOWN_TARGET", "member.exceptional_cases[0].target"},
		{"update to another owner's target", update(full(annEmail, privMember, exceptionalCase(foreignTarget, privAdmin)), "exceptional_cases"),
			codes.InvalidArgument, "UNKNOWN_TARGET", "member.exceptional_cases[0].target"},
		{"update to duplicate targets", update(full(annEmail, privMember, exceptionalCase(ownTarget, privAdmin), exceptionalCase(ownTarget, privAdmin)), "exceptional_cases"),
			codes.InvalidArgument, "DUPLICATE_TARGET", "member.exceptional_cases[1].target"},
		{"malformed member name", update(&membershipv1.Member{Name: "members/Ann", Email: annEmail, AccessPrivilege: privAdmin}, "access_privilege"),
			codes.InvalidArgument, "INVALID_NAME", "member.name"},
		{"unknown member", update(&membershipv1.Member{Name: "members/nobody", Email: annEmail, AccessPrivilege: privAdmin}, "access_privilege"),
			codes.NotFound, "NOT_FOUND", ""},

		{"forged page token", func(t *testing.T) error {
			_, err := h.client.ListMembers(as(t, owner), &membershipv1.ListMembersRequest{PageToken: "AWFubkBleGFtcGxlLmNvbQ"})
			return err
		}, codes.InvalidArgument, "INVALID_PAGE_TOKEN", "page_token"},
		{"check access on another owner's target", func(t *testing.T) error {
			_, err := h.client.CheckAccess(as(t, owner), &membershipv1.CheckAccessRequest{Name: name, Target: foreignTarget})
			return err
		}, codes.NotFound, "NOT_FOUND", ""},
		{"check access on unknown target", func(t *testing.T) error {
			_, err := h.client.CheckAccess(as(t, owner), &membershipv1.CheckAccessRequest{Name: name, Target: unknownTarget})
			return err
		}, codes.NotFound, "NOT_FOUND", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state(t)
			s := requireStatus(t, tc.call(t), tc.code, tc.reason)
			if tc.field != "" && fieldOf(s) != tc.field {
				t.Errorf("field = %q, want %q", fieldOf(s), tc.field)
			}
			if after := h.state(t); !before.equal(after) {
				t.Fatalf("state changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// TestForeignTargetLooksUnknown checks that refusing another owner's target
// says exactly what refusing a missing one says.
func TestForeignTargetLooksUnknown(t *testing.T) {
	h := newHarness(t)
	message := func(target string) string {
		_, err := h.client.CreateMember(as(t, owner), createRequest("bob@example.com", privMember, exceptionalCase(target, privAdmin)))
		s := requireStatus(t, err, codes.InvalidArgument, "UNKNOWN_TARGET")
		return strings.ReplaceAll(s.Message(), target, "TARGET")
	}
	if foreign, missing := message("organizations/x1"), message("organizations/x2"); foreign != missing {
		t.Fatalf("another owner's target is refused with %q, a missing one with %q", foreign, missing)
	}
}

// TestTenancyDown checks that an unreachable tenancy service gives
// UNAVAILABLE and no partial write.
func TestTenancyDown(t *testing.T) {
	h := newHarness(t)
	h.createMember(t, annEmail, privMember)
	before := h.state(t)
	h.tenancy.setDown(true)
	_, err := h.client.CreateMember(as(t, owner), createRequest("bob@example.com", privMember, exceptionalCase("organizations/o1", privAdmin)))
	requireStatus(t, err, codes.Unavailable, "")
	if after := h.state(t); !before.equal(after) {
		t.Fatalf("state changed:\nbefore %v\nafter  %v", before, after)
	}
	// Members without cases need no target check and keep working.
	h.createMember(t, "carl@example.com", privMember)
}
