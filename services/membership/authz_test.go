package membership

import (
	"fmt"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tollgate/tollgate/pkg/auth"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

// outcome is the expected answer of one RPC to one kind of caller.
type outcome struct {
	code   codes.Code
	reason string
}

var (
	allowed      = outcome{codes.OK, ""}
	hidden       = outcome{codes.NotFound, "NOT_FOUND"}
	unknownCase  = outcome{codes.InvalidArgument, "UNKNOWN_TARGET"}
	userRequired = outcome{codes.PermissionDenied, "USER_REQUIRED"}
	tokenScope   = outcome{codes.PermissionDenied, "TOKEN_SCOPE"}
	internalOnly = outcome{codes.PermissionDenied, "INTERNAL_ONLY"}
)

// TestAuthorizationMatrix calls every RPC as every kind of caller: the
// owner of the member, another user, the member themself, another Tollgate
// service and an API token.
func TestAuthorizationMatrix(t *testing.T) {
	h := newHarness(t)
	member := h.createMember(t, annEmail, privAdmin, exceptionalCase("organizations/o1/devices/d1", privMember))
	var fresh atomic.Int64
	freshEmail := func() string { return fmt.Sprintf("person%d@example.com", fresh.Add(1)) }

	callers := []struct {
		name string
		p    auth.Principal
	}{{"owner", owner}, {"another user", other}, {"member", ann}, {"service", service}, {"token", token}}

	rpcs := []struct {
		name string
		call func(t *testing.T, p auth.Principal) error
		want map[string]outcome
	}{
		{
			// Everyone creates in their own account; only the owner has o1.
			name: "CreateMember",
			call: func(t *testing.T, p auth.Principal) error {
				_, err := h.client.CreateMember(as(t, p), &membershipv1.CreateMemberRequest{Member: &membershipv1.Member{
					Email: freshEmail(), AccessPrivilege: privMember,
					ExceptionalCases: []*membershipv1.ExceptionalCase{exceptionalCase("organizations/o1", privAdmin)},
				}})
				return err
			},
			want: map[string]outcome{"owner": allowed, "another user": unknownCase, "member": unknownCase, "service": userRequired, "token": tokenScope},
		},
		{
			name: "GetMember",
			call: func(t *testing.T, p auth.Principal) error {
				_, err := h.client.GetMember(as(t, p), &membershipv1.GetMemberRequest{Name: member.GetName()})
				return err
			},
			want: ownerOnly(),
		},
		{
			name: "ListMembers",
			call: func(t *testing.T, p auth.Principal) error {
				_, err := h.client.ListMembers(as(t, p), &membershipv1.ListMembersRequest{})
				return err
			},
			want: map[string]outcome{"owner": allowed, "another user": allowed, "member": allowed, "service": userRequired, "token": tokenScope},
		},
		{
			name: "UpdateMember",
			call: func(t *testing.T, p auth.Principal) error {
				_, err := h.client.UpdateMember(as(t, p), &membershipv1.UpdateMemberRequest{
					Member:     &membershipv1.Member{Name: member.GetName(), Email: annEmail, AccessPrivilege: privAdmin},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"access_privilege"}},
				})
				return err
			},
			want: ownerOnly(),
		},
		{
			name: "DeleteMember",
			call: func(t *testing.T, p auth.Principal) error {
				victim := h.createMember(t, freshEmail(), privMember)
				_, err := h.client.DeleteMember(as(t, p), &membershipv1.DeleteMemberRequest{Name: victim.GetName()})
				if err != nil {
					if _, getErr := h.client.GetMember(as(t, owner), &membershipv1.GetMemberRequest{Name: victim.GetName()}); getErr != nil {
						t.Errorf("refused delete still removed the member: %v", getErr)
					}
				}
				return err
			},
			want: ownerOnly(),
		},
		{
			name: "CheckAccess",
			call: func(t *testing.T, p auth.Principal) error {
				_, err := h.client.CheckAccess(as(t, p), &membershipv1.CheckAccessRequest{Name: member.GetName(), Target: "organizations/o1/devices/d1"})
				return err
			},
			want: ownerOnly(),
		},
		{
			name: "DecideAccess",
			call: func(t *testing.T, p auth.Principal) error {
				_, err := h.client.DecideAccess(as(t, p), &membershipv1.DecideAccessRequest{User: annEmail, Owner: ownerEmail, Target: "organizations/o1"})
				return err
			},
			want: servicesOnly(),
		},
		{
			name: "ListGrants",
			call: func(t *testing.T, p auth.Principal) error {
				_, err := h.client.ListGrants(as(t, p), &membershipv1.ListGrantsRequest{User: annEmail})
				return err
			},
			want: servicesOnly(),
		},
		{
			name: "ForgetTarget",
			call: func(t *testing.T, p auth.Principal) error {
				_, err := h.client.ForgetTarget(as(t, p), &membershipv1.ForgetTargetRequest{Target: "organizations/gone"})
				return err
			},
			want: servicesOnly(),
		},
	}

	for _, rpc := range rpcs {
		for _, c := range callers {
			t.Run(rpc.name+"/"+c.name, func(t *testing.T) {
				want, listed := rpc.want[c.name]
				if !listed {
					t.Fatalf("no expectation for %s", c.name)
				}
				requireStatus(t, rpc.call(t, c.p), want.code, want.reason)
			})
		}
	}

	// No refused call changed the member.
	got, err := h.client.GetMember(as(t, owner), &membershipv1.GetMemberRequest{Name: member.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetMember().GetAccessPrivilege() != privAdmin || len(got.GetMember().GetExceptionalCases()) != 1 {
		t.Fatalf("member changed by the matrix: %v", got.GetMember())
	}
}

// ownerOnly is the answer of RPCs on one member: anyone but its owner, the
// member included, learns nothing about it.
func ownerOnly() map[string]outcome {
	return map[string]outcome{"owner": allowed, "another user": hidden, "member": hidden, "service": userRequired, "token": tokenScope}
}

func servicesOnly() map[string]outcome {
	return map[string]outcome{"owner": internalOnly, "another user": internalOnly, "member": internalOnly, "service": allowed, "token": internalOnly}
}

// TestMembersAreInvisibleToOthers checks that listing never shows another
// account's members, and that the member's own account is separate.
func TestMembersAreInvisibleToOthers(t *testing.T) {
	h := newHarness(t)
	h.createMember(t, annEmail, privAdmin)
	for _, p := range []auth.Principal{other, ann} {
		resp, err := h.client.ListMembers(as(t, p), &membershipv1.ListMembersRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(resp.GetMembers()); n != 0 {
			t.Fatalf("%s sees %d members of another account", p, n)
		}
	}
}
