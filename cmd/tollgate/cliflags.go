package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
)

const defaultGatewayURL = "http://127.0.0.1:8080"

// apiCommand is the flag set and common flags of a resource command.
type apiCommand struct {
	name    string // e.g. "device update"
	usage   string // positional arguments, e.g. "NAME"
	fs      *flag.FlagSet
	out     io.Writer
	errOut  io.Writer
	url     string
	token   string
	dataDir string
	output  string
	api     *apiClient
}

// newAPICommand declares the flags every resource command has.
func newAPICommand(name, usage string, out, errOut io.Writer) *apiCommand {
	c := &apiCommand{name: name, usage: usage, out: out, errOut: errOut, fs: newFlagSet(name, errOut)}
	c.fs.StringVar(&c.url, "url", "", "gateway base URL (env TOLLGATE_URL; default: the running suite's in --data-dir, else "+defaultGatewayURL+")")
	c.fs.StringVar(&c.token, "token", "", "user token (JWT) to call the API with (env TOLLGATE_TOKEN; required)")
	c.fs.StringVar(&c.dataDir, "data-dir", "./data", "data directory of a local suite, to find its URL")
	c.fs.StringVar(&c.output, "o", "table", "output format: table or json")
	return c
}

// parse parses flags and positional arguments in any order, checks that
// there are exactly nargs positional arguments, and sets up the client.
func (c *apiCommand) parse(args []string, nargs int) ([]string, error) {
	c.fs.SetOutput(io.Discard)
	var pos []string
	for {
		err := c.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.printUsage()
			return nil, err
		}
		if err != nil {
			return nil, c.usageErr("%v", err)
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := args[:len(args)-len(rest)]; len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) != nargs {
		if nargs == 0 {
			return nil, c.usageErr("unexpected argument %q", pos[0])
		}
		return nil, c.usageErr("want %s, got %d argument(s)", c.usage, len(pos))
	}
	if err := c.setup(); err != nil {
		return nil, err
	}
	return pos, nil
}

// oneName parses a command taking exactly one resource name, checked by
// nameOf (orgArg, deviceArg, …).
func (c *apiCommand) oneName(args []string, nameOf func(string) (string, error)) (string, error) {
	pos, err := c.parse(args, 1)
	if err != nil {
		return "", err
	}
	return nameOf(pos[0])
}

// deleteCommand makes a `<kind> delete NAME` command: DELETE /v1/NAME.
func deleteCommand(path string, nameOf func(*apiCommand, string) (string, error)) func(context.Context, []string, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, out, errOut io.Writer) error {
		c := newAPICommand(path, "NAME", out, errOut)
		name, err := c.oneName(args, func(s string) (string, error) { return nameOf(c, s) })
		if err != nil {
			return err
		}
		data, err := c.api.call(ctx, http.MethodDelete, "/v1/"+name, nil, nil)
		if err != nil {
			return err
		}
		return c.deleted(name, data)
	}
}

// patch sends PATCH /v1/NAME with the fields named in mask.
func (c *apiCommand) patch(ctx context.Context, name string, mask []string, body proto.Message) ([]byte, error) {
	return c.api.call(ctx, http.MethodPatch, "/v1/"+name, url.Values{"update_mask": {strings.Join(mask, ",")}}, body)
}

func (c *apiCommand) printUsage() {
	fmt.Fprintf(c.errOut, "usage: tollgate %s %s [flags]\n\nflags:\n", c.name, c.usage)
	c.fs.SetOutput(c.errOut)
	c.fs.PrintDefaults()
	c.fs.SetOutput(io.Discard)
}

func (c *apiCommand) usageErr(format string, a ...any) error {
	return usageError{fmt.Errorf("tollgate %s: %s (see `tollgate %s -h`)", c.name, fmt.Sprintf(format, a...), c.name)}
}

// isSet reports whether the user gave the flag.
func (c *apiCommand) isSet(name string) bool {
	set := false
	c.fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

func (c *apiCommand) setup() error {
	if c.output != "table" && c.output != "json" {
		return c.usageErr("-o: want table or json, got %q", c.output)
	}
	if c.token == "" {
		c.token = os.Getenv("TOLLGATE_TOKEN")
	}
	c.token = strings.TrimSpace(c.token)
	if c.token == "" {
		return c.usageErr("--token (or TOLLGATE_TOKEN) is required: a user JWT; for a dev suite, `tollgate dev token --email E` prints one")
	}
	raw := c.url
	if raw == "" {
		raw = os.Getenv("TOLLGATE_URL")
	}
	if raw == "" {
		if st, err := readState(c.dataDir); err == nil && st.BaseURL != "" {
			raw = st.BaseURL
		}
	}
	if raw == "" {
		raw = defaultGatewayURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c.usageErr("--url: want an http(s) URL such as %s, got %q", defaultGatewayURL, raw)
	}
	if u.User != nil || u.RawQuery != "" {
		return c.usageErr("--url: must not carry credentials or a query")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		fmt.Fprintf(c.errOut, "warning: sending your token over plain HTTP to %s\n", u.Host)
	}
	c.api = newAPIClient(u, c.token)
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pageFlags are the list commands' paging flags.
type pageFlags struct {
	size  int
	token string
}

func (c *apiCommand) pageFlags() *pageFlags {
	p := &pageFlags{}
	c.fs.IntVar(&p.size, "page-size", 0, "fetch one page of at most this many (default: fetch every page)")
	c.fs.StringVar(&p.token, "page-token", "", "fetch the page after a previous --page-size call (its next page token)")
	return p
}

// explicit reports whether the user asked for one page.
func (c *apiCommand) explicitPaging() bool { return c.isSet("page-size") || c.isSet("page-token") }

// Resource names. Segments are checked loosely here (the server has the
// exact rules) but strictly enough that a name is always a clean URL path.
const segment = `[A-Za-z0-9][A-Za-z0-9._~-]*`

var (
	orgName    = regexp.MustCompile(`^organizations/` + segment + `$`)
	deviceName = regexp.MustCompile(`^organizations/` + segment + `/devices/` + segment + `$`)
	tokenName  = regexp.MustCompile(`^organizations/` + segment + `/devices/` + segment + `/apiTokens/` + segment + `$`)
	memberName = regexp.MustCompile(`^members/` + segment + `$`)
	bareID     = regexp.MustCompile(`^` + segment + `$`)
)

// orgArg accepts `organizations/{org}` or a bare `{org}`.
func (c *apiCommand) orgArg(s string) (string, error) {
	if bareID.MatchString(s) {
		s = "organizations/" + s
	}
	if !orgName.MatchString(s) {
		return "", c.usageErr("want an organization name like organizations/{org}, got %q", s)
	}
	return s, nil
}

func (c *apiCommand) deviceArg(s string) (string, error) {
	if !deviceName.MatchString(s) {
		return "", c.usageErr("want a device name like organizations/{org}/devices/{device}, got %q", s)
	}
	return s, nil
}

func (c *apiCommand) tokenArg(s string) (string, error) {
	if !tokenName.MatchString(s) {
		return "", c.usageErr("want a token name like organizations/{org}/devices/{device}/apiTokens/{token}, got %q", s)
	}
	return s, nil
}

// memberArg accepts `members/{member}` or a bare `{member}`.
func (c *apiCommand) memberArg(s string) (string, error) {
	if bareID.MatchString(s) {
		s = "members/" + s
	}
	if !memberName.MatchString(s) {
		return "", c.usageErr("want a member name like members/{member}, got %q", s)
	}
	return s, nil
}

func isTarget(s string) bool { return orgName.MatchString(s) || deviceName.MatchString(s) }

// parseTime reads a time flag: RFC 3339, a date (midnight UTC), or a
// duration from now such as 720h.
func parseTime(flagName, s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d), nil
	}
	return time.Time{}, fmt.Errorf("--%s: want an RFC 3339 time (2027-12-31T00:00:00Z), a date (2027-12-31) or a duration from now (720h), got %q", flagName, s)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }
