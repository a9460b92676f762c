package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

func memberCommands() []command {
	return []command{
		{"member create", "add a member to your account", runMemberCreate},
		{"member list", "list your members", runMemberList},
		{"member get", "show a member, its privilege and exceptional cases", runMemberGet},
		{"member update", "change a member's privilege or exceptional cases", runMemberUpdate},
		{"member delete", "remove a member", runMemberDelete},
		{"member check-access", "explain a member's effective privilege on a target", runMemberCheckAccess},
	}
}

const caseUsage = "exceptional case TARGET=PRIVILEGE, e.g. organizations/o/devices/d=none (repeatable)"

// parsePrivilege reads admin, member or none, in any case.
func parsePrivilege(s string) (membershipv1.Privilege, error) {
	switch strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "privilege_") {
	case "admin":
		return membershipv1.Privilege_PRIVILEGE_ADMIN, nil
	case "member":
		return membershipv1.Privilege_PRIVILEGE_MEMBER, nil
	case "none":
		return membershipv1.Privilege_PRIVILEGE_NONE, nil
	}
	return 0, fmt.Errorf("want admin, member or none, got %q", s)
}

func (c *apiCommand) parseCases(list []string) ([]*membershipv1.ExceptionalCase, error) {
	cases := make([]*membershipv1.ExceptionalCase, 0, len(list))
	for _, s := range list {
		target, priv, ok := strings.Cut(s, "=")
		if !ok || !isTarget(target) {
			return nil, c.usageErr("--case: want organizations/{org}[/devices/{device}]=admin|member|none, got %q", s)
		}
		p, err := parsePrivilege(priv)
		if err != nil {
			return nil, c.usageErr("--case %s: %v", target, err)
		}
		cases = append(cases, &membershipv1.ExceptionalCase{Target: target, Privilege: p})
	}
	return cases, nil
}

func runMemberCreate(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("member create", "", out, errOut)
	email := c.fs.String("email", "", "the member's email (required)")
	priv := c.fs.String("privilege", "", "access privilege on all your organizations and devices: admin, member or none (required)")
	var caseList stringList
	c.fs.Var(&caseList, "case", caseUsage)
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	if *email == "" || *priv == "" {
		return c.usageErr("--email and --privilege are required")
	}
	p, err := parsePrivilege(*priv)
	if err != nil {
		return c.usageErr("--privilege: %v", err)
	}
	cases, err := c.parseCases(caseList)
	if err != nil {
		return err
	}
	m := &membershipv1.Member{Email: *email, AccessPrivilege: p, ExceptionalCases: cases}
	data, err := c.api.call(ctx, http.MethodPost, "/v1/members", nil, m)
	if err != nil {
		return err
	}
	return c.showMember(data)
}

func runMemberList(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("member list", "", out, errOut)
	p := c.pageFlags()
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	data, err := c.listPages(ctx, "/v1/members", nil, "members", p)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return printJSON(out, data)
	}
	var resp membershipv1.ListMembersResponse
	if err := decode(data, &resp); err != nil {
		return err
	}
	defer c.nextPageHint(resp.GetNextPageToken())
	if len(resp.GetMembers()) == 0 {
		c.none("members")
		return nil
	}
	rows := make([][]string, 0, len(resp.GetMembers()))
	for _, m := range resp.GetMembers() {
		rows = append(rows, []string{
			m.GetName(), m.GetEmail(), enumName(m.GetAccessPrivilege(), "PRIVILEGE_"),
			strconv.Itoa(len(m.GetExceptionalCases())), formatTime(m.GetCreateTime()),
		})
	}
	return printTable(out, []string{"NAME", "EMAIL", "PRIVILEGE", "CASES", "CREATED"}, rows)
}

func runMemberGet(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("member get", "NAME", out, errOut)
	name, err := c.oneName(args, c.memberArg)
	if err != nil {
		return err
	}
	data, err := c.api.call(ctx, http.MethodGet, "/v1/"+name, nil, nil)
	if err != nil {
		return err
	}
	return c.showMember(data)
}

func runMemberUpdate(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("member update", "NAME", out, errOut)
	priv := c.fs.String("privilege", "", "new access privilege: admin, member or none")
	var caseList stringList
	c.fs.Var(&caseList, "case", caseUsage+"; replaces all the member's cases")
	clearCases := c.fs.Bool("clear-cases", false, "remove all the member's exceptional cases")
	name, err := c.oneName(args, c.memberArg)
	if err != nil {
		return err
	}
	m := &membershipv1.Member{}
	var mask []string
	if c.isSet("privilege") {
		p, err := parsePrivilege(*priv)
		if err != nil {
			return c.usageErr("--privilege: %v", err)
		}
		m.AccessPrivilege = p
		mask = append(mask, "access_privilege")
	}
	if *clearCases && len(caseList) > 0 {
		return c.usageErr("--clear-cases and --case exclude each other")
	}
	if *clearCases || len(caseList) > 0 {
		if m.ExceptionalCases, err = c.parseCases(caseList); err != nil {
			return err
		}
		mask = append(mask, "exceptional_cases")
	}
	if len(mask) == 0 {
		return c.usageErr("nothing to update: set --privilege, --case or --clear-cases (an email never changes: delete and re-add the member)")
	}
	data, err := c.patch(ctx, name, mask, m)
	if err != nil {
		return err
	}
	return c.showMember(data)
}

// runMemberDelete is `tollgate member delete NAME`.
var runMemberDelete = deleteCommand("member delete", (*apiCommand).memberArg)

func runMemberCheckAccess(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("member check-access", "NAME", out, errOut)
	target := c.fs.String("target", "", "organizations/{org} or organizations/{org}/devices/{device} (required)")
	name, err := c.oneName(args, c.memberArg)
	if err != nil {
		return err
	}
	if !isTarget(*target) {
		return c.usageErr("--target: want organizations/{org} or organizations/{org}/devices/{device}, got %q", *target)
	}
	data, err := c.api.call(ctx, http.MethodGet, "/v1/"+name+":checkAccess", url.Values{"target": {*target}}, nil)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return printJSON(out, data)
	}
	var resp membershipv1.CheckAccessResponse
	if err := decode(data, &resp); err != nil {
		return err
	}
	return printTable(out, []string{"MEMBER", "TARGET", "PRIVILEGE", "DECIDED BY"}, [][]string{{
		name, *target, enumName(resp.GetPrivilege(), "PRIVILEGE_"), enumName(resp.GetDecidedBy(), "DECISION_RULE_"),
	}})
}

func (c *apiCommand) showMember(data []byte) error {
	if c.output == "json" {
		return printJSON(c.out, data)
	}
	var m membershipv1.Member
	if err := decode(data, &m); err != nil {
		return err
	}
	fields := []field{
		{"Name", m.GetName()},
		{"Email", m.GetEmail()},
		{"Access privilege", enumName(m.GetAccessPrivilege(), "PRIVILEGE_")},
	}
	if len(m.GetExceptionalCases()) == 0 {
		fields = append(fields, field{"Exceptional cases", "none"})
	}
	for i, ec := range m.GetExceptionalCases() {
		label := ""
		if i == 0 {
			label = "Exceptional cases"
		}
		fields = append(fields, field{label, ec.GetTarget() + " = " + enumName(ec.GetPrivilege(), "PRIVILEGE_")})
	}
	fields = append(fields, field{"Created", formatTime(m.GetCreateTime())}, field{"Updated", formatTime(m.GetUpdateTime())})
	return printDetail(c.out, fields)
}
