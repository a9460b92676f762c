package access

import (
	"math/rand/v2"
	"testing"

	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

const (
	none   = membershipv1.Privilege_PRIVILEGE_NONE
	member = membershipv1.Privilege_PRIVILEGE_MEMBER
	admin  = membershipv1.Privilege_PRIVILEGE_ADMIN
)

// TestDecidePrecedence checks every combination of default, organization
// case and device case against the rule as DESIGN.md states it.
func TestDecidePrecedence(t *testing.T) {
	const org, dev = "organizations/o", "organizations/o/devices/d"
	privs := []membershipv1.Privilege{0, none, member, admin} // 0 = no case
	for _, def := range privs[1:] {
		for _, orgCase := range privs {
			for _, devCase := range privs {
				g := Grant{AccessPrivilege: def, Cases: map[string]membershipv1.Privilege{}}
				if orgCase != 0 {
					g.Cases[org] = orgCase
				}
				if devCase != 0 {
					g.Cases[dev] = devCase
				}
				want, rule := def, membershipv1.DecisionRule_DECISION_RULE_DEFAULT
				if orgCase != 0 {
					want, rule = orgCase, membershipv1.DecisionRule_DECISION_RULE_ORGANIZATION
				}
				if devCase != 0 {
					want, rule = devCase, membershipv1.DecisionRule_DECISION_RULE_DEVICE
				}
				if got := g.Decide(org, dev); got.Privilege != want || got.Rule != rule {
					t.Errorf("default %v org %v device %v: got %+v, want %v by %v", def, orgCase, devCase, got, want, rule)
				}
			}
		}
	}
}

func TestAllows(t *testing.T) {
	table := map[membershipv1.Privilege][]Action{
		membershipv1.Privilege_PRIVILEGE_OWNER: {View, ReadData, Manage, OwnerOnly},
		admin:                                  {View, ReadData, Manage},
		member:                                 {View, ReadData},
		none:                                   {},
	}
	for p, allowed := range table {
		for _, a := range []Action{View, ReadData, Manage, OwnerOnly} {
			want := false
			for _, x := range allowed {
				want = want || x == a
			}
			if Allows(p, a) != want {
				t.Errorf("Allows(%v, %v) = %v", p, a, !want)
			}
		}
	}
}

// TestSeesOrganization: visible through the organization's own decision or
// through any visible device, for random grants.
func TestSeesOrganization(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	privs := []membershipv1.Privilege{none, member, admin}
	devices := []string{"organizations/o/devices/a", "organizations/o/devices/b", "organizations/o/devices/c"}
	for range 2000 {
		g := Grant{AccessPrivilege: privs[rng.IntN(3)], Cases: map[string]membershipv1.Privilege{}}
		if rng.IntN(2) == 0 {
			g.Cases["organizations/o"] = privs[rng.IntN(3)]
		}
		for _, d := range devices {
			if rng.IntN(3) == 0 {
				g.Cases[d] = privs[rng.IntN(3)]
			}
		}
		want := g.Decide("organizations/o", "").Privilege != none
		for _, d := range devices {
			want = want || g.Decide("organizations/o", d).Privilege != none
		}
		if got := g.SeesOrganization("organizations/o", devices); got != want {
			t.Fatalf("grant %+v: SeesOrganization = %v", g, got)
		}
		hasDeviceCase := false
		for _, d := range devices {
			_, ok := g.Cases[d]
			hasDeviceCase = hasDeviceCase || ok
		}
		if g.HasDeviceCasesIn("organizations/o") != hasDeviceCase {
			t.Fatalf("HasDeviceCasesIn wrong for %+v", g)
		}
	}
}
