// Package access is Tollgate's privilege model in one place: how an
// effective privilege is decided from an owner's grants (DESIGN.md "Members")
// and what each privilege allows. The membership service decides with it;
// every other service asks for decisions and checks them with Allows.
package access

import (
	"strings"

	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

// Action is something a principal wants to do with an organization or device.
type Action int

const (
	// View sees the resource and its settings.
	View Action = iota + 1
	// ReadData reads a device's logs.
	ReadData
	// Manage changes settings, registers and deletes devices, and manages
	// API tokens.
	Manage
	// OwnerOnly covers what only the owner may do: delete organizations and
	// manage members.
	OwnerOnly
)

// Decision is an effective privilege and the rule that decided it.
type Decision struct {
	Privilege membershipv1.Privilege
	Rule      membershipv1.DecisionRule
}

// Allows reports whether the decided privilege permits action.
func (d Decision) Allows(a Action) bool { return Allows(d.Privilege, a) }

// Visible reports whether the target exists for the principal at all; an
// invisible target is answered with NOT_FOUND, never PERMISSION_DENIED.
func (d Decision) Visible() bool { return Allows(d.Privilege, View) }

// Allows reports whether privilege p permits action a.
func Allows(p membershipv1.Privilege, a Action) bool {
	switch p {
	case membershipv1.Privilege_PRIVILEGE_OWNER:
		return true
	case membershipv1.Privilege_PRIVILEGE_ADMIN:
		return a == View || a == ReadData || a == Manage
	case membershipv1.Privilege_PRIVILEGE_MEMBER:
		return a == View || a == ReadData
	default:
		return false
	}
}

// Grant is what one owner granted one member.
type Grant struct {
	AccessPrivilege membershipv1.Privilege
	// Cases maps an organization or device resource name to its privilege.
	Cases map[string]membershipv1.Privilege
}

// GrantFromProto builds a Grant from its API form.
func GrantFromProto(def membershipv1.Privilege, cases []*membershipv1.ExceptionalCase) Grant {
	g := Grant{AccessPrivilege: def, Cases: make(map[string]membershipv1.Privilege, len(cases))}
	for _, c := range cases {
		g.Cases[c.GetTarget()] = c.GetPrivilege()
	}
	return g
}

// Owner is the decision for the owner of a target.
var Owner = Decision{Privilege: membershipv1.Privilege_PRIVILEGE_OWNER, Rule: membershipv1.DecisionRule_DECISION_RULE_OWNER}

// NotAMember is the decision for someone without a grant from the owner.
var NotAMember = Decision{Privilege: membershipv1.Privilege_PRIVILEGE_NONE, Rule: membershipv1.DecisionRule_DECISION_RULE_NOT_A_MEMBER}

// Decide returns a member's effective privilege on a target: the device's
// exceptional case, else the organization's, else the access privilege.
// The most specific rule wins, so a device-level NONE denies even under an
// organization-level ADMIN. orgName is organizations/{org}; deviceName is
// empty when the target is the organization itself.
func (g Grant) Decide(orgName, deviceName string) Decision {
	if deviceName != "" {
		if p, ok := g.Cases[deviceName]; ok {
			return Decision{Privilege: p, Rule: membershipv1.DecisionRule_DECISION_RULE_DEVICE}
		}
	}
	if p, ok := g.Cases[orgName]; ok {
		return Decision{Privilege: p, Rule: membershipv1.DecisionRule_DECISION_RULE_ORGANIZATION}
	}
	return Decision{Privilege: g.AccessPrivilege, Rule: membershipv1.DecisionRule_DECISION_RULE_DEFAULT}
}

// SeesOrganization reports whether the member can see the organization:
// through its own privilege, or because it can see some device in it
// (DESIGN.md: "visible to a member who can see it or any device in it").
// deviceNames lists the organization's devices.
func (g Grant) SeesOrganization(orgName string, deviceNames []string) bool {
	if g.Decide(orgName, "").Visible() {
		return true
	}
	for _, d := range deviceNames {
		if g.Decide(orgName, d).Visible() {
			return true
		}
	}
	return false
}

// HasDeviceCasesIn reports whether the grant has exceptional cases for
// devices of the organization.
func (g Grant) HasDeviceCasesIn(orgName string) bool {
	prefix := orgName + "/devices/"
	for target := range g.Cases {
		if strings.HasPrefix(target, prefix) {
			return true
		}
	}
	return false
}

func (a Action) String() string {
	switch a {
	case View:
		return "viewing it"
	case ReadData:
		return "reading its data"
	case Manage:
		return "managing it"
	case OwnerOnly:
		return "this: only the owner may"
	}
	return "this action"
}
