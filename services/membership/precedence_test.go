package membership

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
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

func (g grantSetup) String() string {
	return fmt.Sprintf("default %s, cases %v", g.def, g.cases)
}

// expectedDecision is DESIGN.md "Members", written out plainly and apart
// from pkg/access: a device's case, else its organization's, else the
// access privilege; an organization's case, else the access privilege.
func expectedDecision(g grantSetup, target string) (membershipv1.Privilege, membershipv1.DecisionRule) {
	org, _, isDevice := strings.Cut(target, "/devices/")
	if p, ok := g.cases[target]; ok && isDevice {
		return p, membershipv1.DecisionRule_DECISION_RULE_DEVICE
	}
	if p, ok := g.cases[org]; ok {
		return p, membershipv1.DecisionRule_DECISION_RULE_ORGANIZATION
	}
	return g.def, membershipv1.DecisionRule_DECISION_RULE_DEFAULT
}

// TestPrecedence compares CheckAccess and DecideAccess with the plain rule
// over every combination of access privilege, organization case and device
// case on one device, with random cases elsewhere, and then over fully
// random configurations.
func TestPrecedence(t *testing.T) {
	h := newHarness(t)
	h.tenancy.addOrganization(ownerEmail, "o1", "d1", "d2")
	h.tenancy.addOrganization(ownerEmail, "o2", "e1")
	const (
		o1 = "organizations/o1"
		d1 = "organizations/o1/devices/d1"
	)
	targets := []string{o1, d1, "organizations/o1/devices/d2", "organizations/o2", "organizations/o2/devices/e1"}
	rng := rand.New(rand.NewPCG(2026, 12))
	randomCases := func(g grantSetup, targets []string) {
		for _, target := range targets {
			if p := optionalPrivileges[rng.IntN(len(optionalPrivileges))]; p != absent {
				g.cases[target] = p
			}
		}
	}

	var setups []grantSetup
	for _, def := range grantablePrivileges {
		for _, orgCase := range optionalPrivileges {
			for _, deviceCase := range optionalPrivileges {
				g := grantSetup{def: def, cases: map[string]membershipv1.Privilege{}}
				if orgCase != absent {
					g.cases[o1] = orgCase
				}
				if deviceCase != absent {
					g.cases[d1] = deviceCase
				}
				randomCases(g, targets[2:])
				setups = append(setups, g)
			}
		}
	}
	for range 100 {
		g := grantSetup{def: grantablePrivileges[rng.IntN(len(grantablePrivileges))], cases: map[string]membershipv1.Privilege{}}
		randomCases(g, targets)
		setups = append(setups, g)
	}

	member := h.createMember(t, annEmail, privNone)
	for _, g := range setups {
		h.setGrant(t, member.GetName(), g, rng)
		for _, target := range targets {
			wantPrivilege, wantRule := expectedDecision(g, target)
			checked, err := h.client.CheckAccess(as(t, owner), &membershipv1.CheckAccessRequest{Name: member.GetName(), Target: target})
			if err != nil {
				t.Fatalf("%v: CheckAccess(%s): %v", g, target, err)
			}
			if checked.GetPrivilege() != wantPrivilege || checked.GetDecidedBy() != wantRule {
				t.Fatalf("%v: CheckAccess(%s) = %s by %s, want %s by %s", g, target,
					checked.GetPrivilege(), checked.GetDecidedBy(), wantPrivilege, wantRule)
			}
			decided, err := h.client.DecideAccess(as(t, service), &membershipv1.DecideAccessRequest{User: annEmail, Owner: ownerEmail, Target: target})
			if err != nil {
				t.Fatalf("%v: DecideAccess(%s): %v", g, target, err)
			}
			if decided.GetPrivilege() != wantPrivilege || decided.GetDecidedBy() != wantRule {
				t.Fatalf("%v: DecideAccess(%s) = %s by %s, want %s by %s", g, target,
					decided.GetPrivilege(), decided.GetDecidedBy(), wantPrivilege, wantRule)
			}
		}
	}
}

// setGrant replaces the member's privileges with g, listing the cases in a
// random order: the decision must not depend on it.
func (h *harness) setGrant(t *testing.T, name string, g grantSetup, rng *rand.Rand) {
	t.Helper()
	cases := make([]*membershipv1.ExceptionalCase, 0, len(g.cases))
	for _, target := range slices.Sorted(maps.Keys(g.cases)) {
		cases = append(cases, exceptionalCase(target, g.cases[target]))
	}
	rng.Shuffle(len(cases), func(i, j int) { cases[i], cases[j] = cases[j], cases[i] })
	_, err := h.client.UpdateMember(as(t, owner), &membershipv1.UpdateMemberRequest{
		Member:     &membershipv1.Member{Name: name, Email: annEmail, AccessPrivilege: g.def, ExceptionalCases: cases},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"access_privilege", "exceptional_cases"}},
	})
	if err != nil {
		t.Fatalf("%v: UpdateMember: %v", g, err)
	}
}
