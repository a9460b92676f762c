package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

func tokenCommands() []command {
	return []command{
		{"token create", "create an API token for a device (prints its secret once)", runTokenCreate},
		{"token list", "list a device's API tokens", runTokenList},
		{"token rotate", "issue a new secret for an API token (prints it once)", runTokenRotate},
		{"token revoke", "revoke an API token at once", runTokenRevoke},
	}
}

const secretWarning = "warning: copy the secret now: it will not be shown again"

func runTokenCreate(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("token create", "DEVICE", out, errOut)
	display := c.fs.String("display-name", "", "what the token is for, e.g. the integration using it (required)")
	expire := c.fs.String("expire", "", "expiry: RFC 3339 time, date, or duration from now such as 720h (default: none, or the server's maximum lifetime)")
	parent, err := c.oneName(args, c.deviceArg)
	if err != nil {
		return err
	}
	if *display == "" {
		return c.usageErr("--display-name is required")
	}
	tok := &tokenv1.ApiToken{DisplayName: *display}
	if *expire != "" {
		t, err := parseTime("expire", *expire, time.Now())
		if err != nil {
			return c.usageErr("%v", err)
		}
		tok.ExpireTime = timestamppb.New(t)
	}
	data, err := c.api.call(ctx, http.MethodPost, "/v1/"+parent+"/apiTokens", nil, tok)
	if err != nil {
		return err
	}
	var resp tokenv1.CreateApiTokenResponse
	if err := decode(data, &resp); err != nil {
		return err
	}
	return c.showSecret(data, resp.GetApiToken(), resp.GetSecret(), nil)
}

func runTokenList(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("token list", "DEVICE", out, errOut)
	p := c.pageFlags()
	revoked := c.fs.Bool("show-revoked", false, "include revoked tokens")
	parent, err := c.oneName(args, c.deviceArg)
	if err != nil {
		return err
	}
	q := url.Values{}
	if *revoked {
		q.Set("show_revoked", "true")
	}
	data, err := c.listPages(ctx, "/v1/"+parent+"/apiTokens", q, "api_tokens", p)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return printJSON(out, data)
	}
	var resp tokenv1.ListApiTokensResponse
	if err := decode(data, &resp); err != nil {
		return err
	}
	defer c.nextPageHint(resp.GetNextPageToken())
	if len(resp.GetApiTokens()) == 0 {
		c.none("API tokens")
		return nil
	}
	rows := make([][]string, 0, len(resp.GetApiTokens()))
	for _, t := range resp.GetApiTokens() {
		rows = append(rows, []string{
			t.GetName(), t.GetDisplayName(), enumName(t.GetState(), "API_TOKEN_STATE_"), hint(t),
			t.GetCreator(), formatTime(t.GetExpireTime()), formatTime(t.GetLastUseTime()),
		})
	}
	return printTable(out, []string{"NAME", "DISPLAY NAME", "STATE", "HINT", "CREATOR", "EXPIRES", "LAST USED"}, rows)
}

func hint(t *tokenv1.ApiToken) string {
	if t.GetHint() == "" {
		return ""
	}
	return "…" + t.GetHint()
}

func runTokenRotate(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("token rotate", "NAME", out, errOut)
	grace := c.fs.Duration("grace-period", 0, "how long the previous secret keeps working, e.g. 24h (0: it stops at once; at most 720h)")
	name, err := c.oneName(args, c.tokenArg)
	if err != nil {
		return err
	}
	if *grace < 0 || *grace > 720*time.Hour {
		return c.usageErr("--grace-period: must be between 0 and 720h, got %s", *grace)
	}
	data, err := c.api.call(ctx, http.MethodPost, "/v1/"+name+":rotate", nil,
		&tokenv1.RotateApiTokenRequest{GracePeriod: durationpb.New(*grace)})
	if err != nil {
		return err
	}
	var resp tokenv1.RotateApiTokenResponse
	if err := decode(data, &resp); err != nil {
		return err
	}
	return c.showSecret(data, resp.GetApiToken(), resp.GetSecret(), grace)
}

func runTokenRevoke(ctx context.Context, args []string, out, errOut io.Writer) error {
	c := newAPICommand("token revoke", "NAME", out, errOut)
	name, err := c.oneName(args, c.tokenArg)
	if err != nil {
		return err
	}
	data, err := c.api.call(ctx, http.MethodDelete, "/v1/"+name, nil, nil)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return printJSON(out, data)
	}
	_, err = fmt.Fprintf(out, "revoked %s\n", name)
	return err
}

// showSecret prints a created or rotated token with its secret, which the
// API shows this once, and says so on stderr. grace is set for a rotation.
func (c *apiCommand) showSecret(data []byte, t *tokenv1.ApiToken, secret string, grace *time.Duration) error {
	if secret == "" {
		return fmt.Errorf("the gateway's answer carries no secret")
	}
	var err error
	if c.output == "json" {
		err = printJSON(c.out, data)
	} else {
		if t == nil {
			t = &tokenv1.ApiToken{}
		}
		err = printDetail(c.out, []field{
			{"Name", t.GetName()},
			{"Display name", t.GetDisplayName()},
			{"State", enumName(t.GetState(), "API_TOKEN_STATE_")},
			{"Creator", t.GetCreator()},
			{"Expires", orNever(formatTime(t.GetExpireTime()))},
			{"Secret", secret},
		})
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(c.errOut, secretWarning)
	if grace != nil {
		if *grace == 0 {
			fmt.Fprintln(c.errOut, "the previous secret no longer works")
		} else {
			from := time.Now()
			if rt := t.GetRotateTime(); rt != nil {
				from = rt.AsTime()
			}
			fmt.Fprintf(c.errOut, "the previous secret keeps working until %s (grace period %s)\n",
				from.Add(*grace).UTC().Format(time.RFC3339), *grace)
		}
	}
	return nil
}

func orNever(s string) string {
	if s == "" {
		return "never"
	}
	return s
}
