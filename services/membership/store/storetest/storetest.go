// Package storetest is the conformance suite of the membership store: every
// implementation runs it from its own tests.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return newTestStore(t) })
//	}
package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	"github.com/tollgate/tollgate/services/membership/store"
)

// Run runs every conformance test; newStore must return an empty store
// that lives as long as t.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, st store.Store)
	}{
		{"CreateThenGet", testCreateThenGet},
		{"GetMissing", testGetMissing},
		{"CreateRefusesTakenID", testCreateRefusesTakenID},
		{"CreateRefusesEmailTakenInAccount", testCreateRefusesEmailTakenInAccount},
		{"SameEmailInSeveralAccounts", testSameEmailInSeveralAccounts},
		{"CreateRequiresOwnerAndEmail", testCreateRequiresOwnerAndEmail},
		{"GetMemberByEmail", testGetMemberByEmail},
		{"ListMembersInEmailOrderByPages", testListMembersInEmailOrderByPages},
		{"ListMembersByEmailAcrossOwners", testListMembersByEmailAcrossOwners},
		{"UpdateAppliesMutation", testUpdateAppliesMutation},
		{"UpdateFailureChangesNothing", testUpdateFailureChangesNothing},
		{"UpdateKeepsIdentity", testUpdateKeepsIdentity},
		{"UpdateMissing", testUpdateMissing},
		{"DeleteRemovesEverything", testDeleteRemovesEverything},
		{"ForgetOrganization", testForgetOrganization},
		{"ForgetDevice", testForgetDevice},
		{"ForgetFollowsUpdates", testForgetFollowsUpdates},
		{"ConcurrentCreatesOfOneEmail", testConcurrentCreatesOfOneEmail},
		{"ReturnedMembersAreCopies", testReturnedMembersAreCopies},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

var created = timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))

func newMember(id, owner, email string, cases ...*membershipv1.ExceptionalCase) *membershipv1.Member {
	return &membershipv1.Member{
		Name:             resource.MemberName(id),
		Email:            email,
		AccessPrivilege:  membershipv1.Privilege_PRIVILEGE_MEMBER,
		ExceptionalCases: cases,
		Owner:            owner,
		CreateTime:       created,
		UpdateTime:       created,
	}
}

func exceptional(target string, p membershipv1.Privilege) *membershipv1.ExceptionalCase {
	return &membershipv1.ExceptionalCase{Target: target, Privilege: p}
}

var (
	admin = membershipv1.Privilege_PRIVILEGE_ADMIN
	none  = membershipv1.Privilege_PRIVILEGE_NONE
)

func mustCreate(t *testing.T, st store.Store, id string, m *membershipv1.Member) *membershipv1.Member {
	t.Helper()
	if err := st.CreateMember(t.Context(), id, proto.CloneOf(m)); err != nil {
		t.Fatalf("CreateMember(%s): %v", id, err)
	}
	return m
}

func mustGet(t *testing.T, st store.Store, id string) *membershipv1.Member {
	t.Helper()
	m, err := st.GetMember(t.Context(), id)
	if err != nil {
		t.Fatalf("GetMember(%s): %v", id, err)
	}
	return m
}

func requireEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

func requireKind(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %v", err, kind)
	}
}

func requireReason(t *testing.T, err, kind error, reason string) {
	t.Helper()
	requireKind(t, err, kind)
	var r *errs.Reasoned
	if !errors.As(err, &r) || r.Reason != reason {
		t.Fatalf("err = %v, want reason %s", err, reason)
	}
}

func emailsOf(members []*membershipv1.Member) []string {
	out := make([]string, 0, len(members))
	for _, m := range members {
		out = append(out, m.GetEmail())
	}
	return out
}

func requireForgot(t *testing.T, st store.Store, target string, want int) {
	t.Helper()
	tg, err := resource.ParseTarget("target", target)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.ForgetTarget(t.Context(), tg)
	if err != nil {
		t.Fatalf("ForgetTarget(%s): %v", target, err)
	}
	if got != want {
		t.Fatalf("ForgetTarget(%s) removed %d cases, want %d", target, got, want)
	}
}

func testCreateThenGet(t *testing.T, st store.Store) {
	want := mustCreate(t, st, "m1", newMember("m1", "owner@example.com", "ann@example.com",
		exceptional("organizations/o1", admin), exceptional("organizations/o1/devices/d1", none)))
	requireEqual(t, "stored member", mustGet(t, st, "m1"), want)
}

func testGetMissing(t *testing.T, st store.Store) {
	_, err := st.GetMember(t.Context(), "nobody")
	requireKind(t, err, errs.ErrNotFound)
}

func testCreateRefusesTakenID(t *testing.T, st store.Store) {
	first := mustCreate(t, st, "m1", newMember("m1", "owner@example.com", "ann@example.com"))
	err := st.CreateMember(t.Context(), "m1", newMember("m1", "owner@example.com", "bob@example.com"))
	requireKind(t, err, errs.ErrAlreadyExists)
	requireEqual(t, "first member", mustGet(t, st, "m1"), first)
	_, err = st.GetMemberByEmail(t.Context(), "owner@example.com", "bob@example.com")
	requireKind(t, err, errs.ErrNotFound)
}

func testCreateRefusesEmailTakenInAccount(t *testing.T, st store.Store) {
	first := mustCreate(t, st, "m1", newMember("m1", "owner@example.com", "ann@example.com"))
	err := st.CreateMember(t.Context(), "m2", newMember("m2", "owner@example.com", "ann@example.com",
		exceptional("organizations/o1", admin)))
	requireReason(t, err, errs.ErrAlreadyExists, "MEMBER_EXISTS")
	_, err = st.GetMember(t.Context(), "m2")
	requireKind(t, err, errs.ErrNotFound)
	requireEqual(t, "first member", mustGet(t, st, "m1"), first)
	// The refused member's case must not have reached the index either.
	requireForgot(t, st, "organizations/o1", 0)
}

func testSameEmailInSeveralAccounts(t *testing.T, st store.Store) {
	mustCreate(t, st, "m1", newMember("m1", "owner1@example.com", "ann@example.com"))
	mustCreate(t, st, "m2", newMember("m2", "owner2@example.com", "ann@example.com"))
}

func testCreateRequiresOwnerAndEmail(t *testing.T, st store.Store) {
	requireKind(t, st.CreateMember(t.Context(), "m1", newMember("m1", "", "ann@example.com")), errs.ErrInvalidArgument)
	requireKind(t, st.CreateMember(t.Context(), "m2", newMember("m2", "owner@example.com", "")), errs.ErrInvalidArgument)
}

func testGetMemberByEmail(t *testing.T, st store.Store) {
	want := mustCreate(t, st, "m1", newMember("m1", "owner1@example.com", "ann@example.com"))
	mustCreate(t, st, "m2", newMember("m2", "owner2@example.com", "bob@example.com"))
	got, err := st.GetMemberByEmail(t.Context(), "owner1@example.com", "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	requireEqual(t, "member by email", got, want)
	_, err = st.GetMemberByEmail(t.Context(), "owner2@example.com", "ann@example.com")
	requireKind(t, err, errs.ErrNotFound)
	_, err = st.GetMemberByEmail(t.Context(), "owner1@example.com", "ann@example.co")
	requireKind(t, err, errs.ErrNotFound)
}

func testListMembersInEmailOrderByPages(t *testing.T, st store.Store) {
	owner := "owner@example.com"
	emails := []string{"dan@example.com", "ann@example.com", "eve@example.com", "bob@example.com", "cat@example.com", "ann@example.co"}
	for i, e := range emails {
		id := fmt.Sprintf("m%d", i)
		mustCreate(t, st, id, newMember(id, owner, e))
	}
	// Owners whose emails extend or prefix this one must stay apart.
	mustCreate(t, st, "x1", newMember("x1", "owner@example.co", "aaa@example.com"))
	mustCreate(t, st, "x2", newMember("x2", "owner@example.com.au", "zzz@example.com"))

	var got []string
	after := ""
	for page := 0; ; page++ {
		members, err := st.ListMembers(t.Context(), owner, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		if page > len(emails) {
			t.Fatal("pagination does not end")
		}
		if len(members) == 0 {
			break
		}
		got = append(got, emailsOf(members)...)
		after = members[len(members)-1].GetEmail()
	}
	want := slices.Sorted(slices.Values(emails))
	requireEqual(t, "listed emails", got, want)

	none, err := st.ListMembers(t.Context(), "stranger@example.com", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	requireEqual(t, "members of an empty account", len(none), 0)
}

func testListMembersByEmailAcrossOwners(t *testing.T, st store.Store) {
	mustCreate(t, st, "m1", newMember("m1", "zoe@example.com", "ann@example.com"))
	mustCreate(t, st, "m2", newMember("m2", "abe@example.com", "ann@example.com"))
	mustCreate(t, st, "m3", newMember("m3", "max@example.com", "ann@example.com"))
	mustCreate(t, st, "m4", newMember("m4", "max@example.com", "ann@example.co"))
	mustCreate(t, st, "m5", newMember("m5", "max@example.com", "bob@example.com"))

	members, err := st.ListMembersByEmail(t.Context(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	owners := make([]string, 0, len(members))
	for _, m := range members {
		if m.GetEmail() != "ann@example.com" {
			t.Fatalf("listed member %s has email %s", m.GetName(), m.GetEmail())
		}
		owners = append(owners, m.GetOwner())
	}
	requireEqual(t, "owners", owners, []string{"abe@example.com", "max@example.com", "zoe@example.com"})
}

func testUpdateAppliesMutation(t *testing.T, st store.Store) {
	mustCreate(t, st, "m1", newMember("m1", "owner@example.com", "ann@example.com", exceptional("organizations/o1", admin)))
	later := timestamppb.New(created.AsTime().Add(time.Hour))
	got, err := st.UpdateMember(t.Context(), "m1", func(m *membershipv1.Member) error {
		m.AccessPrivilege = none
		m.ExceptionalCases = []*membershipv1.ExceptionalCase{exceptional("organizations/o2/devices/d1", admin)}
		m.UpdateTime = later
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := newMember("m1", "owner@example.com", "ann@example.com", exceptional("organizations/o2/devices/d1", admin))
	want.AccessPrivilege = none
	want.UpdateTime = later
	requireEqual(t, "returned member", got, want)
	requireEqual(t, "stored member", mustGet(t, st, "m1"), want)
}

func testUpdateFailureChangesNothing(t *testing.T, st store.Store) {
	before := mustCreate(t, st, "m1", newMember("m1", "owner@example.com", "ann@example.com", exceptional("organizations/o1", admin)))
	refused := errs.Invalid("member.access_privilege", "TEST_REFUSAL", "refused")
	_, err := st.UpdateMember(t.Context(), "m1", func(m *membershipv1.Member) error {
		m.AccessPrivilege = admin
		m.ExceptionalCases = nil
		return refused
	})
	requireReason(t, err, errs.ErrInvalidArgument, "TEST_REFUSAL")
	requireEqual(t, "member after refused update", mustGet(t, st, "m1"), before)
	requireForgot(t, st, "organizations/o1", 1)
}

func testUpdateKeepsIdentity(t *testing.T, st store.Store) {
	before := mustCreate(t, st, "m1", newMember("m1", "owner@example.com", "ann@example.com"))
	changes := []struct {
		name   string
		mutate func(*membershipv1.Member)
		kind   error
	}{
		{"email", func(m *membershipv1.Member) { m.Email = "bob@example.com" }, errs.ErrInvalidArgument},
		{"owner", func(m *membershipv1.Member) { m.Owner = "thief@example.com" }, errs.ErrFailedPrecondition},
		{"name", func(m *membershipv1.Member) { m.Name = resource.MemberName("m2") }, errs.ErrFailedPrecondition},
	}
	for _, c := range changes {
		_, err := st.UpdateMember(t.Context(), "m1", func(m *membershipv1.Member) error { c.mutate(m); return nil })
		if !errors.Is(err, c.kind) {
			t.Fatalf("changing the %s: err = %v, want %v", c.name, err, c.kind)
		}
	}
	_, err := st.UpdateMember(t.Context(), "m1", func(m *membershipv1.Member) error { m.Email = "bob@example.com"; return nil })
	requireReason(t, err, errs.ErrInvalidArgument, "IMMUTABLE_FIELD")
	requireEqual(t, "member after refused updates", mustGet(t, st, "m1"), before)
	_, err = st.GetMemberByEmail(t.Context(), "owner@example.com", "bob@example.com")
	requireKind(t, err, errs.ErrNotFound)
}

func testUpdateMissing(t *testing.T, st store.Store) {
	_, err := st.UpdateMember(t.Context(), "nobody", func(*membershipv1.Member) error { return nil })
	requireKind(t, err, errs.ErrNotFound)
}

func testDeleteRemovesEverything(t *testing.T, st store.Store) {
	mustCreate(t, st, "m1", newMember("m1", "owner@example.com", "ann@example.com", exceptional("organizations/o1", admin)))
	if err := st.DeleteMember(t.Context(), "m1"); err != nil {
		t.Fatal(err)
	}
	_, err := st.GetMember(t.Context(), "m1")
	requireKind(t, err, errs.ErrNotFound)
	_, err = st.GetMemberByEmail(t.Context(), "owner@example.com", "ann@example.com")
	requireKind(t, err, errs.ErrNotFound)
	listed, err := st.ListMembers(t.Context(), "owner@example.com", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	requireEqual(t, "members after delete", len(listed), 0)
	grants, err := st.ListMembersByEmail(t.Context(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	requireEqual(t, "memberships after delete", len(grants), 0)
	requireForgot(t, st, "organizations/o1", 0)
	requireKind(t, st.DeleteMember(t.Context(), "m1"), errs.ErrNotFound)

	// The address is free again: deleting and re-adding is how an owner
	// "changes" a member's email.
	mustCreate(t, st, "m2", newMember("m2", "owner@example.com", "ann@example.com"))
}

func testForgetOrganization(t *testing.T, st store.Store) {
	cases := func() []*membershipv1.ExceptionalCase {
		return []*membershipv1.ExceptionalCase{
			exceptional("organizations/o1", admin),
			exceptional("organizations/o1/devices/d1", none),
			exceptional("organizations/o1/devices/d2", admin),
			exceptional("organizations/o10", none),            // shares a prefix with o1
			exceptional("organizations/o10/devices/d1", none), // so does its device
			exceptional("organizations/o2/devices/d1", admin),
		}
	}
	mustCreate(t, st, "m1", newMember("m1", "owner1@example.com", "ann@example.com", cases()...))
	mustCreate(t, st, "m2", newMember("m2", "owner1@example.com", "bob@example.com", cases()[1]))
	mustCreate(t, st, "m3", newMember("m3", "owner2@example.com", "ann@example.com", cases()[3:]...))

	requireForgot(t, st, "organizations/o1", 4)
	requireEqual(t, "m1 cases", mustGet(t, st, "m1").GetExceptionalCases(), cases()[3:])
	requireEqual(t, "m2 cases", len(mustGet(t, st, "m2").GetExceptionalCases()), 0)
	requireEqual(t, "m3 cases", mustGet(t, st, "m3").GetExceptionalCases(), cases()[3:])
	requireForgot(t, st, "organizations/o1", 0)
	requireForgot(t, st, "organizations/o10", 4)
}

func testForgetDevice(t *testing.T, st store.Store) {
	kept := []*membershipv1.ExceptionalCase{
		exceptional("organizations/o1", admin),
		exceptional("organizations/o1/devices/d10", admin), // shares a prefix with d1
		exceptional("organizations/o2/devices/d1", admin),
	}
	mustCreate(t, st, "m1", newMember("m1", "owner@example.com", "ann@example.com",
		append([]*membershipv1.ExceptionalCase{exceptional("organizations/o1/devices/d1", none)}, kept...)...))

	requireForgot(t, st, "organizations/o1/devices/d1", 1)
	requireEqual(t, "cases", mustGet(t, st, "m1").GetExceptionalCases(), kept)
	requireForgot(t, st, "organizations/o1/devices/d1", 0)
}

func testForgetFollowsUpdates(t *testing.T, st store.Store) {
	mustCreate(t, st, "m1", newMember("m1", "owner@example.com", "ann@example.com", exceptional("organizations/o1", admin)))
	_, err := st.UpdateMember(t.Context(), "m1", func(m *membershipv1.Member) error {
		m.ExceptionalCases = []*membershipv1.ExceptionalCase{exceptional("organizations/o2", none)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	requireForgot(t, st, "organizations/o1", 0)
	requireForgot(t, st, "organizations/o2", 1)
	requireEqual(t, "cases", len(mustGet(t, st, "m1").GetExceptionalCases()), 0)
}

func testConcurrentCreatesOfOneEmail(t *testing.T, st store.Store) {
	const n = 16
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("m%d", i)
			results[i] = st.CreateMember(t.Context(), id, newMember(id, "owner@example.com", "ann@example.com"))
		})
	}
	wg.Wait()
	succeeded := 0
	for _, err := range results {
		switch {
		case err == nil:
			succeeded++
		case !errors.Is(err, errs.ErrAlreadyExists):
			t.Fatalf("concurrent create: %v", err)
		}
	}
	requireEqual(t, "successful creates", succeeded, 1)
}

func testReturnedMembersAreCopies(t *testing.T, st store.Store) {
	want := mustCreate(t, st, "m1", newMember("m1", "owner@example.com", "ann@example.com", exceptional("organizations/o1", admin)))
	got := mustGet(t, st, "m1")
	got.AccessPrivilege = admin
	got.ExceptionalCases[0].Privilege = none
	listed, err := st.ListMembers(t.Context(), "owner@example.com", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	listed[0].Email = "changed@example.com"
	requireEqual(t, "stored member", mustGet(t, st, "m1"), want)
}
