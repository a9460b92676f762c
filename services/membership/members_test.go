package membership

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/tollgate/tollgate/pkg/auth"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

func TestCreateNormalizesAndGetReturnsIt(t *testing.T) {
	h := newHarness(t)
	created := h.createMember(t, "Ann@Example.COM", privMember, exceptionalCase("organizations/o1/devices/d1", privAdmin))
	if created.GetEmail() != annEmail || created.GetOwner() != ownerEmail {
		t.Fatalf("created %s of %s, want %s of %s", created.GetEmail(), created.GetOwner(), annEmail, ownerEmail)
	}
	if created.GetName() == "" || created.GetCreateTime() == nil || created.GetUpdateTime() == nil {
		t.Fatalf("output-only fields missing: %v", created)
	}
	got, err := h.client.GetMember(as(t, owner), &membershipv1.GetMemberRequest{Name: created.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.GetMember(), created) {
		t.Fatalf("GetMember = %v, want %v", got.GetMember(), created)
	}
}

func TestListMembersPagesInEmailOrder(t *testing.T) {
	h := newHarness(t)
	var want []string
	for _, name := range []string{"gus", "ann", "fay", "bob", "eve", "cat", "dan"} {
		email := name + "@example.com"
		h.createMember(t, email, privMember)
		want = append(want, email)
	}
	slices.Sort(want)

	var got []string
	req := &membershipv1.ListMembersRequest{PageSize: 3}
	for pages := 1; ; pages++ {
		resp, err := h.client.ListMembers(as(t, owner), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range resp.GetMembers() {
			got = append(got, m.GetEmail())
		}
		if resp.GetNextPageToken() == "" {
			if pages != 3 {
				t.Fatalf("%d pages, want 3", pages)
			}
			break
		}
		// A page token continues only its own account's listing.
		_, err = h.client.ListMembers(as(t, other), &membershipv1.ListMembersRequest{PageSize: 3, PageToken: resp.GetNextPageToken()})
		requireStatus(t, err, codes.InvalidArgument, "INVALID_PAGE_TOKEN")
		req.PageToken = resp.GetNextPageToken()
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
}

func TestUpdateMemberChangesOnlyMaskedFields(t *testing.T) {
	h := newHarness(t)
	created := h.createMember(t, annEmail, privMember, exceptionalCase("organizations/o1", privAdmin))

	resp, err := h.client.UpdateMember(as(t, owner), &membershipv1.UpdateMemberRequest{
		Member: &membershipv1.Member{Name: created.GetName(), Email: annEmail, AccessPrivilege: privAdmin,
			ExceptionalCases: []*membershipv1.ExceptionalCase{exceptionalCase("organizations/o1/devices/d1", privNone)}},
		UpdateMask: mask("access_privilege"),
	})
	if err != nil {
		t.Fatal(err)
	}
	updated := resp.GetMember()
	if updated.GetAccessPrivilege() != privAdmin {
		t.Fatalf("access privilege = %s, want ADMIN", updated.GetAccessPrivilege())
	}
	if !proto.Equal(updated.GetExceptionalCases()[0], created.GetExceptionalCases()[0]) || len(updated.GetExceptionalCases()) != 1 {
		t.Fatalf("cases changed without being in the mask: %v", updated.GetExceptionalCases())
	}
	if !proto.Equal(updated.GetCreateTime(), created.GetCreateTime()) || updated.GetUpdateTime().AsTime().Before(created.GetUpdateTime().AsTime()) {
		t.Fatalf("times: create %v → %v, update %v → %v", created.GetCreateTime(), updated.GetCreateTime(), created.GetUpdateTime(), updated.GetUpdateTime())
	}

	resp, err = h.client.UpdateMember(as(t, owner), &membershipv1.UpdateMemberRequest{
		Member:     &membershipv1.Member{Name: created.GetName(), Email: annEmail, AccessPrivilege: privMember},
		UpdateMask: mask("exceptional_cases"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetMember().GetAccessPrivilege() != privAdmin || len(resp.GetMember().GetExceptionalCases()) != 0 {
		t.Fatalf("after clearing the cases: %v", resp.GetMember())
	}
}

// TestRemovalTakesEffectOnNextRequest checks that decisions are never
// served from a cache: lowering a privilege or deleting the member changes
// the very next decision.
func TestRemovalTakesEffectOnNextRequest(t *testing.T) {
	h := newHarness(t)
	member := h.createMember(t, annEmail, privAdmin)
	decide := func() *membershipv1.DecideAccessResponse {
		t.Helper()
		resp, err := h.client.DecideAccess(as(t, service), &membershipv1.DecideAccessRequest{User: annEmail, Owner: ownerEmail, Target: "organizations/o1"})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if got := decide(); got.GetPrivilege() != privAdmin {
		t.Fatalf("before: %v", got)
	}
	_, err := h.client.UpdateMember(as(t, owner), &membershipv1.UpdateMemberRequest{
		Member:     &membershipv1.Member{Name: member.GetName(), Email: annEmail, AccessPrivilege: privNone},
		UpdateMask: mask("access_privilege"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := decide(); got.GetPrivilege() != privNone || got.GetDecidedBy() != membershipv1.DecisionRule_DECISION_RULE_DEFAULT {
		t.Fatalf("after lowering: %v", got)
	}
	if _, err := h.client.DeleteMember(as(t, owner), &membershipv1.DeleteMemberRequest{Name: member.GetName()}); err != nil {
		t.Fatal(err)
	}
	if got := decide(); got.GetPrivilege() != privNone || got.GetDecidedBy() != membershipv1.DecisionRule_DECISION_RULE_NOT_A_MEMBER {
		t.Fatalf("after deletion: %v", got)
	}
	grants, err := h.client.ListGrants(as(t, service), &membershipv1.ListGrantsRequest{User: annEmail})
	if err != nil {
		t.Fatal(err)
	}
	if len(grants.GetGrants()) != 0 {
		t.Fatalf("grants after deletion: %v", grants.GetGrants())
	}
	_, err = h.client.GetMember(as(t, owner), &membershipv1.GetMemberRequest{Name: member.GetName()})
	requireStatus(t, err, codes.NotFound, "NOT_FOUND")
}

func TestDecideAccessForOwnerAndStrangers(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		user string
		want membershipv1.DecisionRule
		priv membershipv1.Privilege
	}{
		{"Owner@Example.com", membershipv1.DecisionRule_DECISION_RULE_OWNER, privOwner},
		{otherEmail, membershipv1.DecisionRule_DECISION_RULE_NOT_A_MEMBER, privNone},
	}
	for _, tc := range tests {
		resp, err := h.client.DecideAccess(as(t, service), &membershipv1.DecideAccessRequest{User: tc.user, Owner: ownerEmail, Target: "organizations/o1/devices/d1"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetDecidedBy() != tc.want || resp.GetPrivilege() != tc.priv {
			t.Fatalf("DecideAccess(%s) = %v, want %s by %s", tc.user, resp, tc.priv, tc.want)
		}
	}
}

func TestListGrantsAcrossOwners(t *testing.T) {
	h := newHarness(t)
	owners := []string{"zed@example.com", "abe@example.com", ownerEmail}
	for i, o := range owners {
		h.tenancy.addOrganization(o, fmt.Sprintf("g%d", i))
		_, err := h.client.CreateMember(as(t, auth.Principal{Kind: auth.KindUser, Email: o}),
			createRequest(annEmail, privMember, exceptionalCase(fmt.Sprintf("organizations/g%d", i), privAdmin)))
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := h.client.ListGrants(as(t, service), &membershipv1.ListGrantsRequest{User: "ANN@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range resp.GetGrants() {
		got = append(got, g.GetOwner())
		if g.GetAccessPrivilege() != privMember || len(g.GetExceptionalCases()) != 1 {
			t.Fatalf("grant of %s: %v", g.GetOwner(), g)
		}
	}
	if want := slices.Sorted(slices.Values(owners)); !slices.Equal(got, want) {
		t.Fatalf("grant owners = %v, want %v", got, want)
	}
}

func TestForgetTargetFallsBackToDefault(t *testing.T) {
	h := newHarness(t)
	member := h.createMember(t, annEmail, privMember,
		exceptionalCase("organizations/o1", privNone), exceptionalCase("organizations/o1/devices/d1", privAdmin))
	resp, err := h.client.ForgetTarget(as(t, service), &membershipv1.ForgetTargetRequest{Target: "organizations/o1"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetRemovedCases() != 2 {
		t.Fatalf("removed %d cases, want 2", resp.GetRemovedCases())
	}
	got, err := h.client.GetMember(as(t, owner), &membershipv1.GetMemberRequest{Name: member.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.GetMember().GetExceptionalCases()); n != 0 {
		t.Fatalf("%d cases left", n)
	}
	checked, err := h.client.CheckAccess(as(t, owner), &membershipv1.CheckAccessRequest{Name: member.GetName(), Target: "organizations/o1/devices/d1"})
	if err != nil {
		t.Fatal(err)
	}
	if checked.GetPrivilege() != privMember || checked.GetDecidedBy() != membershipv1.DecisionRule_DECISION_RULE_DEFAULT {
		t.Fatalf("CheckAccess after forgetting = %v", checked)
	}
}
