package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

func orgCommands() []command {
	return []command{
		{"org create", "create an organization you own", runOrgCreate},
		{"org list", "list the organizations you can see", runOrgList},
		{"org get", "show an organization", runOrgGet},
		{"org update", "change an organization's display name", runOrgUpdate},
		{"org delete", "delete an organization (owner only)", runOrgDelete},
	}
}

func runOrgCreate(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("org create", "", out, errOut)
	display := c.fs.String("display-name", "", "display name (required)")
	id := c.fs.String("id", "", "ID, the last part of the name (default: generated)")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	if *display == "" {
		return c.usageErr("--display-name is required")
	}
	q := url.Values{}
	if *id != "" {
		q.Set("organization_id", *id)
	}
	data, err := c.api.call(ctx, http.MethodPost, "/v1/organizations", q, &tenancyv1.Organization{DisplayName: *display})
	if err != nil {
		return err
	}
	return c.showOrg(data)
}

func runOrgList(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("org list", "", out, errOut)
	p := c.pageFlags()
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	data, err := c.listPages(ctx, "/v1/organizations", nil, "organizations", p)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return printJSON(out, data)
	}
	var resp tenancyv1.ListOrganizationsResponse
	if err := decode(data, &resp); err != nil {
		return err
	}
	defer c.nextPageHint(resp.GetNextPageToken())
	if len(resp.GetOrganizations()) == 0 {
		c.none("organizations")
		return nil
	}
	rows := make([][]string, 0, len(resp.GetOrganizations()))
	for _, o := range resp.GetOrganizations() {
		rows = append(rows, []string{o.GetName(), o.GetDisplayName(), o.GetOwner(), formatTime(o.GetCreateTime())})
	}
	return printTable(out, []string{"NAME", "DISPLAY NAME", "OWNER", "CREATED"}, rows)
}

func runOrgGet(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("org get", "NAME", out, errOut)
	name, err := c.oneName(args, c.orgArg)
	if err != nil {
		return err
	}
	data, err := c.api.call(ctx, http.MethodGet, "/v1/"+name, nil, nil)
	if err != nil {
		return err
	}
	return c.showOrg(data)
}

func runOrgUpdate(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("org update", "NAME", out, errOut)
	display := c.fs.String("display-name", "", "new display name")
	name, err := c.oneName(args, c.orgArg)
	if err != nil {
		return err
	}
	org := &tenancyv1.Organization{}
	var mask []string
	if c.isSet("display-name") {
		org.DisplayName = *display
		mask = append(mask, "display_name")
	}
	if len(mask) == 0 {
		return c.usageErr("nothing to update: set --display-name")
	}
	data, err := c.patch(ctx, name, mask, org)
	if err != nil {
		return err
	}
	return c.showOrg(data)
}

func runOrgDelete(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("org delete", "NAME", out, errOut)
	force := c.fs.Bool("force", false, "also delete the organization's devices and their API tokens")
	name, err := c.oneName(args, c.orgArg)
	if err != nil {
		return err
	}
	q := url.Values{}
	if *force {
		q.Set("force", "true")
	}
	data, err := c.api.call(ctx, http.MethodDelete, "/v1/"+name, q, nil)
	if err != nil {
		return err
	}
	return c.deleted(name, data)
}

func (c *apiCommand) showOrg(data []byte) error {
	if c.output == "json" {
		return printJSON(c.out, data)
	}
	var o tenancyv1.Organization
	if err := decode(data, &o); err != nil {
		return err
	}
	return printDetail(c.out, []field{
		{"Name", o.GetName()},
		{"Display name", o.GetDisplayName()},
		{"Owner", o.GetOwner()},
		{"Created", formatTime(o.GetCreateTime())},
		{"Updated", formatTime(o.GetUpdateTime())},
	})
}

// deleted reports a successful delete.
func (c *apiCommand) deleted(name string, data []byte) error {
	if c.output == "json" {
		return printJSON(c.out, data)
	}
	_, err := fmt.Fprintf(c.out, "deleted %s\n", name)
	return err
}
