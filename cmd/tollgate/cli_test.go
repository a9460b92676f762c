package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

const testToken = "user.jwt.token"

// gatewayJSON is how the real gateway marshals (gateway/marshal.go).
var gatewayJSON = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// seen is one request the fake gateway received.
type seen struct {
	method, path string
	query        url.Values
	body         []byte
	auth         string
	contentType  string
}

// fakeGateway fakes the REST endpoints the CLI calls. Handlers are keyed
// by "METHOD /path"; an unknown route is a test failure.
type fakeGateway struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []seen
	routes map[string]func(seen) (int, []byte)
}

func newFakeGateway(t *testing.T) *fakeGateway {
	g := &fakeGateway{t: t, routes: map[string]func(seen) (int, []byte){}}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s := seen{method: r.Method, path: r.URL.Path, query: r.URL.Query(), body: body,
			auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type")}
		g.mu.Lock()
		g.reqs = append(g.reqs, s)
		h := g.routes[r.Method+" "+r.URL.Path]
		g.mu.Unlock()
		if h == nil {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusTeapot)
			return
		}
		code, out := h(s)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-1")
		w.WriteHeader(code)
		_, _ = w.Write(out)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGateway) handle(route string, h func(seen) (int, []byte)) { g.routes[route] = h }

// reply answers 200 with m as the gateway would marshal it.
func (g *fakeGateway) reply(route string, m proto.Message) {
	g.handle(route, func(seen) (int, []byte) { return 200, marshal(g.t, m) })
}

func (g *fakeGateway) reset() {
	g.mu.Lock()
	g.reqs = nil
	g.mu.Unlock()
}

func (g *fakeGateway) requests() []seen {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]seen(nil), g.reqs...)
}

// only returns the single request received, checking the user token.
func (g *fakeGateway) only(t *testing.T) seen {
	t.Helper()
	reqs := g.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1: %+v", len(reqs), reqs)
	}
	if reqs[0].auth != "Bearer "+testToken {
		t.Errorf("Authorization = %q, want the user token", reqs[0].auth)
	}
	return reqs[0]
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := gatewayJSON.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// apiStatus renders an error as the gateway does: google.rpc.Status with
// an ErrorInfo reason and, for a field, a BadRequest.
func apiStatus(t *testing.T, code codes.Code, msg, reason, field string) []byte {
	t.Helper()
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: reason, Domain: "tollgate.dev"}}
	if field != "" {
		details = append(details, &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: msg}}})
	}
	s, err := status.New(code, msg).WithDetails(details...)
	if err != nil {
		t.Fatal(err)
	}
	return marshal(t, s.Proto())
}

// cli runs the command line like main does, with a clean environment.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("TOLLGATE_URL", "")
	t.Setenv("TOLLGATE_TOKEN", "")
	return cliEnv(t, args...)
}

func cliEnv(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code = run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// api runs a command against g with the common flags.
func (g *fakeGateway) api(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return cli(t, append(args, "--url", g.srv.URL, "--token", testToken)...)
}

func ts(s string) *timestamppb.Timestamp {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return timestamppb.New(t)
}

func wantCode(t *testing.T, got, want int, stderr string) {
	t.Helper()
	if got != want {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", got, want, stderr)
	}
}

func bodyAs(t *testing.T, s seen, m proto.Message) {
	t.Helper()
	if s.contentType != "application/json" {
		t.Errorf("Content-Type = %q", s.contentType)
	}
	if err := protojson.Unmarshal(s.body, m); err != nil {
		t.Fatalf("body %s: %v", s.body, err)
	}
}

func orgPages() (*tenancyv1.ListOrganizationsResponse, *tenancyv1.ListOrganizationsResponse) {
	created := ts("2026-01-02T03:04:05Z")
	return &tenancyv1.ListOrganizationsResponse{
			Organizations: []*tenancyv1.Organization{
				{Name: "organizations/acme", DisplayName: "Acme Corp", Owner: "owner@acme.test", CreateTime: created},
				{Name: "organizations/b", DisplayName: "B", Owner: "owner@acme.test", CreateTime: created},
			},
			NextPageToken: "p2",
		}, &tenancyv1.ListOrganizationsResponse{
			Organizations: []*tenancyv1.Organization{
				{Name: "organizations/shared", DisplayName: "Shared\twith\x1b[31m me", Owner: "other@corp.test"},
			},
		}
}

func (g *fakeGateway) pagedOrgs(t *testing.T) {
	p1, p2 := orgPages()
	g.handle("GET /v1/organizations", func(s seen) (int, []byte) {
		switch s.query.Get("page_token") {
		case "":
			return 200, marshal(t, p1)
		case "p2":
			return 200, marshal(t, p2)
		}
		return 400, apiStatus(t, codes.InvalidArgument, "bad page token", "INVALID_ARGUMENT", "page_token")
	})
}

func TestOrgListTablePagesThroughEverything(t *testing.T) {
	g := newFakeGateway(t)
	g.pagedOrgs(t)
	code, out, errOut := g.api(t, "org", "list")
	wantCode(t, code, 0, errOut)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "DISPLAY NAME") {
		t.Fatalf("table:\n%s", out)
	}
	// Columns are aligned: OWNER starts at the same column on every row.
	col := strings.Index(lines[0], "OWNER")
	for _, l := range lines[1:] {
		rest := string([]rune(l)[col:])
		if !strings.HasPrefix(rest, "owner@") && !strings.HasPrefix(rest, "other@") {
			t.Errorf("misaligned row %q (OWNER at %d)", l, col)
		}
	}
	if strings.ContainsAny(out, "\x1b") || !strings.Contains(out, "Shared\uFFFDwith\uFFFD[31m me") {
		t.Errorf("control characters not neutralised:\n%q", out)
	}
	reqs := g.requests()
	if len(reqs) != 2 || reqs[0].query.Get("page_token") != "" || reqs[1].query.Get("page_token") != "p2" {
		t.Fatalf("requests: %+v", reqs)
	}
	for _, r := range reqs {
		if r.method != "GET" || r.auth != "Bearer "+testToken || r.query.Has("page_size") {
			t.Errorf("request %+v", r)
		}
	}
}

func TestOrgListJSONMergesPages(t *testing.T) {
	g := newFakeGateway(t)
	g.pagedOrgs(t)
	code, out, errOut := g.api(t, "org", "list", "-o", "json")
	wantCode(t, code, 0, errOut)
	var got tenancyv1.ListOrganizationsResponse
	if err := protojson.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got.GetOrganizations()) != 3 || got.GetNextPageToken() != "" {
		t.Fatalf("merged: %v", &got)
	}
	if !strings.Contains(out, "\n  \"organizations\": [\n") || !strings.Contains(out, `"display_name": "Acme Corp"`) {
		t.Errorf("want pretty-printed API JSON with proto names:\n%s", out)
	}
}

func TestListOnePageWhenAsked(t *testing.T) {
	g := newFakeGateway(t)
	g.pagedOrgs(t)
	code, out, errOut := g.api(t, "org", "list", "--page-size", "2")
	wantCode(t, code, 0, errOut)
	r := g.only(t)
	if r.query.Get("page_size") != "2" || r.query.Has("page_token") {
		t.Errorf("query %v", r.query)
	}
	if strings.Count(out, "\n") != 3 || !strings.Contains(errOut, "more results: --page-token p2") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}

	g.reset()
	code, out, errOut = g.api(t, "org", "list", "--page-token", "p2", "-o", "json")
	wantCode(t, code, 0, errOut)
	if r := g.only(t); r.query.Get("page_token") != "p2" || r.query.Has("page_size") {
		t.Errorf("query %v", r.query)
	}
	if !strings.Contains(out, "organizations/shared") || strings.Contains(out, "organizations/acme") {
		t.Errorf("json:\n%s", out)
	}
}

func TestEmptyList(t *testing.T) {
	g := newFakeGateway(t)
	g.reply("GET /v1/members", &membershipv1.ListMembersResponse{})
	code, out, errOut := g.api(t, "member", "list")
	wantCode(t, code, 0, errOut)
	if out != "" || !strings.Contains(errOut, "no members found") {
		t.Errorf("stdout %q stderr %q", out, errOut)
	}
	code, out, _ = g.api(t, "member", "list", "-o", "json")
	wantCode(t, code, 0, "")
	if !strings.Contains(out, `"members": []`) {
		t.Errorf("json: %s", out)
	}
}

func device() *tenancyv1.Device {
	return &tenancyv1.Device{
		Name: "organizations/acme/devices/fw1", DisplayName: "Edge firewall", Model: "USG FLEX 200",
		SerialNumber: "S123456", MacAddress: "00:13:49:AA:BB:CC", TimeZone: "Europe/Berlin",
		License:    &tenancyv1.License{ExpireTime: ts("2027-12-31T00:00:00Z"), State: tenancyv1.LicenseState_LICENSE_STATE_ACTIVE, DaysRemaining: 412},
		CreateTime: ts("2026-01-02T03:04:05Z"),
	}
}

func TestDeviceListTable(t *testing.T) {
	g := newFakeGateway(t)
	expired := &tenancyv1.Device{Name: "organizations/acme/devices/old", DisplayName: "Old", SerialNumber: "S999999",
		License: &tenancyv1.License{ExpireTime: ts("2020-01-01T00:00:00Z"), State: tenancyv1.LicenseState_LICENSE_STATE_EXPIRED}}
	g.reply("GET /v1/organizations/acme/devices", &tenancyv1.ListDevicesResponse{Devices: []*tenancyv1.Device{device(), expired}})
	code, out, errOut := g.api(t, "device", "list", "acme", "--license-state", "Active")
	wantCode(t, code, 0, errOut)
	want := "" +
		"NAME                            DISPLAY NAME   SERIAL   LICENSE  DAYS LEFT\n" +
		"organizations/acme/devices/fw1  Edge firewall  S123456  ACTIVE   412\n" +
		"organizations/acme/devices/old  Old            S999999  EXPIRED  0\n"
	if out != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
	if r := g.only(t); r.query.Get("license_state") != "LICENSE_STATE_ACTIVE" {
		t.Errorf("query %v", r.query)
	}
}

func TestDeviceGetTableAndJSON(t *testing.T) {
	g := newFakeGateway(t)
	g.reply("GET /v1/organizations/acme/devices/fw1", device())
	code, out, errOut := g.api(t, "device", "get", "organizations/acme/devices/fw1")
	wantCode(t, code, 0, errOut)
	for _, want := range []string{
		"Name:             organizations/acme/devices/fw1\n",
		"License:          ACTIVE\n",
		"License expires:  2027-12-31T00:00:00Z\n",
		"Days left:        412\n",
		"Updated:          -\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	code, out, errOut = g.api(t, "device", "get", "organizations/acme/devices/fw1", "-o", "json")
	wantCode(t, code, 0, errOut)
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, marshal(t, device()), "", "  ")
	if out != pretty.String()+"\n" {
		t.Errorf("json:\n%s\nwant:\n%s", out, pretty.String())
	}
}

func TestDeviceCreate(t *testing.T) {
	g := newFakeGateway(t)
	g.reply("POST /v1/organizations/acme/devices", device())
	code, _, errOut := g.api(t, "device", "create", "organizations/acme", "--id", "fw1", "--display-name", "Edge firewall",
		"--serial", "S123456", "--mac", "00:13:49:AA:BB:CC", "--time-zone", "Europe/Berlin", "--license-expire", "2027-12-31")
	wantCode(t, code, 0, errOut)
	r := g.only(t)
	if r.query.Get("device_id") != "fw1" {
		t.Errorf("query %v", r.query)
	}
	var d tenancyv1.Device
	bodyAs(t, r, &d)
	want := &tenancyv1.Device{DisplayName: "Edge firewall", SerialNumber: "S123456", MacAddress: "00:13:49:AA:BB:CC",
		TimeZone: "Europe/Berlin", License: &tenancyv1.License{ExpireTime: ts("2027-12-31T00:00:00Z")}}
	if !proto.Equal(&d, want) {
		t.Errorf("body %v, want %v", &d, want)
	}

	code, _, errOut = g.api(t, "device", "create", "organizations/acme", "--display-name", "x")
	wantCode(t, code, 2, errOut)
	if !strings.Contains(errOut, "--serial, --mac, --time-zone, --license-expire") {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestDeviceUpdateMask(t *testing.T) {
	cases := []struct {
		args     []string
		mask     string
		wantBody *tenancyv1.Device
	}{
		{[]string{"--license-expire", "2027-12-31T00:00:00Z"}, "license.expire_time",
			&tenancyv1.Device{License: &tenancyv1.License{ExpireTime: ts("2027-12-31T00:00:00Z")}}},
		{[]string{"--time-zone", "Asia/Taipei", "--display-name", "Edge 2"}, "display_name,time_zone",
			&tenancyv1.Device{DisplayName: "Edge 2", TimeZone: "Asia/Taipei"}},
		{[]string{"--model", ""}, "model", &tenancyv1.Device{}},
	}
	for _, tc := range cases {
		g := newFakeGateway(t)
		g.reply("PATCH /v1/organizations/o/devices/d", device())
		// The name may come before or after the flags.
		args := append([]string{"device", "update", "organizations/o/devices/d"}, tc.args...)
		code, out, errOut := g.api(t, args...)
		wantCode(t, code, 0, errOut)
		r := g.only(t)
		if got := r.query.Get("update_mask"); got != tc.mask {
			t.Errorf("%v: update_mask %q, want %q", tc.args, got, tc.mask)
		}
		var d tenancyv1.Device
		bodyAs(t, r, &d)
		if !proto.Equal(&d, tc.wantBody) {
			t.Errorf("%v: body %s, want %v", tc.args, r.body, tc.wantBody)
		}
		if !strings.Contains(out, "Display name:     Edge firewall") {
			t.Errorf("output:\n%s", out)
		}
	}

	g := newFakeGateway(t)
	code, _, errOut := g.api(t, "device", "update", "organizations/o/devices/d")
	wantCode(t, code, 2, errOut)
	if !strings.Contains(errOut, "nothing to update") || len(g.requests()) != 0 {
		t.Errorf("stderr %s, requests %d", errOut, len(g.requests()))
	}
	code, _, errOut = g.api(t, "device", "update", "--license-expire", "next year", "organizations/o/devices/d")
	wantCode(t, code, 2, errOut)
	if !strings.Contains(errOut, "--license-expire: want an RFC 3339 time") {
		t.Errorf("stderr %s", errOut)
	}
}

func TestOrgCreateUpdateDelete(t *testing.T) {
	g := newFakeGateway(t)
	org := &tenancyv1.Organization{Name: "organizations/acme", DisplayName: "Acme", Owner: "owner@acme.test"}
	g.reply("POST /v1/organizations", org)
	g.reply("PATCH /v1/organizations/acme", org)
	g.reply("DELETE /v1/organizations/acme", &tenancyv1.DeleteOrganizationResponse{})

	code, out, errOut := g.api(t, "org", "create", "--display-name", "Acme", "--id", "acme")
	wantCode(t, code, 0, errOut)
	r := g.only(t)
	var o tenancyv1.Organization
	bodyAs(t, r, &o)
	if r.query.Get("organization_id") != "acme" || o.GetDisplayName() != "Acme" || o.GetName() != "" {
		t.Errorf("request %+v body %s", r, r.body)
	}
	if !strings.Contains(out, "Name:          organizations/acme\n") {
		t.Errorf("output:\n%s", out)
	}

	g.reset()
	code, _, errOut = g.api(t, "org", "update", "acme", "--display-name", "Acme 2")
	wantCode(t, code, 0, errOut)
	if r := g.only(t); r.query.Get("update_mask") != "display_name" || !strings.Contains(string(r.body), `"Acme 2"`) {
		t.Errorf("request %+v body %s", r, r.body)
	}

	g.reset()
	code, out, errOut = g.api(t, "org", "delete", "organizations/acme", "--force")
	wantCode(t, code, 0, errOut)
	if r := g.only(t); r.query.Get("force") != "true" || out != "deleted organizations/acme\n" {
		t.Errorf("request %+v, out %q", r, out)
	}
}

func TestMemberUpdateMask(t *testing.T) {
	g := newFakeGateway(t)
	updated := &membershipv1.Member{Name: "members/m", Email: "ann@corp.test", AccessPrivilege: membershipv1.Privilege_PRIVILEGE_ADMIN,
		ExceptionalCases: []*membershipv1.ExceptionalCase{
			{Target: "organizations/o", Privilege: membershipv1.Privilege_PRIVILEGE_NONE},
			{Target: "organizations/o/devices/d", Privilege: membershipv1.Privilege_PRIVILEGE_MEMBER},
		}}
	g.reply("PATCH /v1/members/m", updated)
	code, out, errOut := g.api(t, "member", "update", "members/m", "--privilege", "ADMIN",
		"--case", "organizations/o=none", "--case", "organizations/o/devices/d=Member")
	wantCode(t, code, 0, errOut)
	r := g.only(t)
	if got := r.query.Get("update_mask"); got != "access_privilege,exceptional_cases" {
		t.Errorf("update_mask %q", got)
	}
	var m membershipv1.Member
	bodyAs(t, r, &m)
	want := &membershipv1.Member{AccessPrivilege: updated.AccessPrivilege, ExceptionalCases: updated.ExceptionalCases}
	if !proto.Equal(&m, want) {
		t.Errorf("body %s", r.body)
	}
	for _, s := range []string{
		"Access privilege:   ADMIN\n",
		"Exceptional cases:  organizations/o = NONE\n",
		"                    organizations/o/devices/d = MEMBER\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("missing %q in:\n%s", s, out)
		}
	}

	g.reset()
	code, _, errOut = g.api(t, "member", "update", "m", "--clear-cases")
	wantCode(t, code, 0, errOut)
	if r := g.only(t); r.query.Get("update_mask") != "exceptional_cases" || strings.TrimSpace(string(r.body)) != "{}" {
		t.Errorf("request %+v body %s", r, r.body)
	}

	for _, bad := range [][]string{
		{"--privilege", "owner"},
		{"--case", "organizations/o"},
		{"--case", "devices/d=admin"},
		{"--case", "organizations/o=root"},
		{"--email", "new@corp.test"},
	} {
		g.reset()
		code, _, errOut = g.api(t, append([]string{"member", "update", "members/m"}, bad...)...)
		if code != 2 || len(g.requests()) != 0 {
			t.Errorf("%v: exit %d, %d requests; stderr %s", bad, code, len(g.requests()), errOut)
		}
	}
}

func TestMemberCreateAndCheckAccess(t *testing.T) {
	g := newFakeGateway(t)
	g.reply("POST /v1/members", &membershipv1.Member{Name: "members/m", Email: "ann@corp.test", AccessPrivilege: membershipv1.Privilege_PRIVILEGE_MEMBER})
	g.reply("GET /v1/members/m:checkAccess", &membershipv1.CheckAccessResponse{
		Privilege: membershipv1.Privilege_PRIVILEGE_NONE, DecidedBy: membershipv1.DecisionRule_DECISION_RULE_DEVICE})

	code, _, errOut := g.api(t, "member", "create", "--email", "Ann@corp.test", "--privilege", "member", "--case", "organizations/o/devices/d=none")
	wantCode(t, code, 0, errOut)
	var m membershipv1.Member
	bodyAs(t, g.only(t), &m)
	if m.GetEmail() != "Ann@corp.test" || m.GetAccessPrivilege() != membershipv1.Privilege_PRIVILEGE_MEMBER || len(m.GetExceptionalCases()) != 1 {
		t.Errorf("body %v", &m)
	}

	g.reset()
	code, out, errOut := g.api(t, "member", "check-access", "members/m", "--target", "organizations/o/devices/d")
	wantCode(t, code, 0, errOut)
	if r := g.only(t); r.method != "GET" || r.query.Get("target") != "organizations/o/devices/d" {
		t.Errorf("request %+v", r)
	}
	want := "" +
		"MEMBER     TARGET                     PRIVILEGE  DECIDED BY\n" +
		"members/m  organizations/o/devices/d  NONE       DEVICE\n"
	if out != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
	code, out, _ = g.api(t, "member", "check-access", "members/m", "--target", "organizations/o", "-o", "json")
	wantCode(t, code, 0, "")
	if !strings.Contains(out, `"decided_by": "DECISION_RULE_DEVICE"`) {
		t.Errorf("json: %s", out)
	}
}

func apiToken() *tokenv1.ApiToken {
	return &tokenv1.ApiToken{Name: "organizations/acme/devices/fw1/apiTokens/abc123", DisplayName: "siem",
		Creator: "owner@acme.test", State: tokenv1.ApiTokenState_API_TOKEN_STATE_ACTIVE, Hint: "WxYz",
		CreateTime: ts("2026-01-02T03:04:05Z"), RotateTime: ts("2026-03-01T00:00:00Z")}
}

const testSecret = "tgat_abc123_s3cr3tvalue"

func TestTokenCreateShowsSecretOnce(t *testing.T) {
	g := newFakeGateway(t)
	g.reply("POST /v1/organizations/acme/devices/fw1/apiTokens", &tokenv1.CreateApiTokenResponse{ApiToken: apiToken(), Secret: testSecret})
	code, out, errOut := g.api(t, "token", "create", "organizations/acme/devices/fw1", "--display-name", "siem", "--expire", "2027-01-01T00:00:00Z")
	wantCode(t, code, 0, errOut)
	var tok tokenv1.ApiToken
	bodyAs(t, g.only(t), &tok)
	if !proto.Equal(&tok, &tokenv1.ApiToken{DisplayName: "siem", ExpireTime: ts("2027-01-01T00:00:00Z")}) {
		t.Errorf("body %v", &tok)
	}
	if !strings.Contains(out, "Secret:        "+testSecret+"\n") || !strings.Contains(out, "Expires:       never\n") {
		t.Errorf("stdout:\n%s", out)
	}
	if !strings.Contains(errOut, "will not be shown again") || strings.Contains(errOut, testSecret) {
		t.Errorf("stderr:\n%s", errOut)
	}

	code, out, errOut = g.api(t, "token", "create", "organizations/acme/devices/fw1", "--display-name", "siem", "-o", "json")
	wantCode(t, code, 0, errOut)
	var resp tokenv1.CreateApiTokenResponse
	if err := protojson.Unmarshal([]byte(out), &resp); err != nil || resp.GetSecret() != testSecret {
		t.Errorf("json %v: %s", err, out)
	}
	if !strings.Contains(errOut, "will not be shown again") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestTokenRotateWithGrace(t *testing.T) {
	g := newFakeGateway(t)
	g.reply("POST /v1/organizations/acme/devices/fw1/apiTokens/abc123:rotate", &tokenv1.RotateApiTokenResponse{ApiToken: apiToken(), Secret: testSecret})
	code, out, errOut := g.api(t, "token", "rotate", "organizations/acme/devices/fw1/apiTokens/abc123", "--grace-period", "24h")
	wantCode(t, code, 0, errOut)
	var req tokenv1.RotateApiTokenRequest
	bodyAs(t, g.only(t), &req)
	if !proto.Equal(&req, &tokenv1.RotateApiTokenRequest{GracePeriod: durationpb.New(24 * time.Hour)}) {
		t.Errorf("body %v", &req)
	}
	if !strings.Contains(out, testSecret) || !strings.Contains(errOut, "will not be shown again") ||
		!strings.Contains(errOut, "keeps working until 2026-03-02T00:00:00Z") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}

	g.reset()
	code, _, errOut = g.api(t, "token", "rotate", "organizations/acme/devices/fw1/apiTokens/abc123")
	wantCode(t, code, 0, errOut)
	if r := g.only(t); string(r.body) != `{"grace_period":"0s"}` || !strings.Contains(errOut, "no longer works") {
		t.Errorf("body %s stderr %s", r.body, errOut)
	}

	code, _, errOut = g.api(t, "token", "rotate", "organizations/acme/devices/fw1/apiTokens/abc123", "--grace-period", "-1h")
	wantCode(t, code, 2, errOut)
}

func TestTokenListAndRevoke(t *testing.T) {
	g := newFakeGateway(t)
	revoked := &tokenv1.ApiToken{Name: "organizations/acme/devices/fw1/apiTokens/old", DisplayName: "old",
		State: tokenv1.ApiTokenState_API_TOKEN_STATE_REVOKED, LastUseTime: ts("2026-02-01T00:00:00Z")}
	g.reply("GET /v1/organizations/acme/devices/fw1/apiTokens", &tokenv1.ListApiTokensResponse{ApiTokens: []*tokenv1.ApiToken{apiToken(), revoked}})
	g.reply("DELETE /v1/organizations/acme/devices/fw1/apiTokens/abc123", &tokenv1.DeleteApiTokenResponse{})

	code, out, errOut := g.api(t, "token", "list", "organizations/acme/devices/fw1", "--show-revoked")
	wantCode(t, code, 0, errOut)
	if r := g.only(t); r.query.Get("show_revoked") != "true" {
		t.Errorf("query %v", r.query)
	}
	want := "" +
		"NAME                                             DISPLAY NAME  STATE    HINT   CREATOR          EXPIRES  LAST USED\n" +
		"organizations/acme/devices/fw1/apiTokens/abc123  siem          ACTIVE   …WxYz  owner@acme.test  -        -\n" +
		"organizations/acme/devices/fw1/apiTokens/old     old           REVOKED  -      -                -        2026-02-01T00:00:00Z\n"
	if out != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
	if strings.Contains(out, "secret") {
		t.Error("list shows a secret")
	}

	g.reset()
	code, out, errOut = g.api(t, "token", "revoke", "organizations/acme/devices/fw1/apiTokens/abc123")
	wantCode(t, code, 0, errOut)
	if r := g.only(t); r.method != "DELETE" || out != "revoked organizations/acme/devices/fw1/apiTokens/abc123\n" {
		t.Errorf("request %+v out %q", r, out)
	}
}

func TestAPIErrorsAreRendered(t *testing.T) {
	g := newFakeGateway(t)
	g.handle("GET /v1/organizations/nope", func(seen) (int, []byte) {
		return 404, apiStatus(t, codes.NotFound, `organization "organizations/nope" not found`, "NOT_FOUND", "")
	})
	g.handle("POST /v1/members", func(seen) (int, []byte) {
		return 400, apiStatus(t, codes.InvalidArgument, "you cannot add your own email: as the owner you already have full rights", "CANNOT_ADD_SELF", "member.email")
	})
	g.handle("GET /v1/members", func(seen) (int, []byte) {
		return 401, apiStatus(t, codes.Unauthenticated, "the user token has expired", "TOKEN_EXPIRED", "")
	})
	g.handle("POST /v1/organizations/acme/devices/fw1/apiTokens", func(seen) (int, []byte) {
		return 502, []byte("<html>bad gateway</html>")
	})

	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"org", "get", "nope"}, []string{`organization "organizations/nope" not found`, "reason NOT_FOUND", "HTTP 404", "request id req-1"}},
		{[]string{"member", "create", "--email", "me@corp.test", "--privilege", "admin"}, []string{"you cannot add your own email", "reason CANNOT_ADD_SELF", "field member.email", "HTTP 400"}},
		{[]string{"member", "list", "-o", "json"}, []string{"the user token has expired", "reason TOKEN_EXPIRED", "HTTP 401", "hint: --token"}},
		{[]string{"token", "create", "organizations/acme/devices/fw1", "--display-name", "x"}, []string{"the gateway answered 502 Bad Gateway"}},
	}
	for _, tc := range cases {
		code, out, errOut := g.api(t, tc.args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1", tc.args, code)
		}
		if out != "" {
			t.Errorf("%v: stdout %q", tc.args, out)
		}
		if !strings.HasPrefix(errOut, "tollgate: ") {
			t.Errorf("%v: stderr %q", tc.args, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, w, errOut)
			}
		}
		for _, never := range []string{"{", "@type", "goroutine", "html", testToken} {
			if strings.Contains(errOut, never) {
				t.Errorf("%v: stderr shows %q:\n%s", tc.args, never, errOut)
			}
		}
	}
}

func TestUnreachableGateway(t *testing.T) {
	g := newFakeGateway(t)
	g.srv.Close()
	code, _, errOut := g.api(t, "org", "list")
	wantCode(t, code, 1, errOut)
	if !strings.Contains(errOut, "cannot reach the gateway at "+g.srv.URL) || strings.Contains(errOut, testToken) {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestMissingTokenAndBadFlags(t *testing.T) {
	g := newFakeGateway(t)
	code, out, errOut := cli(t, "org", "list", "--url", g.srv.URL)
	wantCode(t, code, 2, errOut)
	if out != "" || !strings.Contains(errOut, "--token (or TOLLGATE_TOKEN) is required") {
		t.Errorf("stdout %q stderr %q", out, errOut)
	}

	for _, args := range [][]string{
		{"org", "list", "-o", "yaml"},
		{"org", "list", "--bogus"},
		{"org", "list", "extra"},
		{"org", "get"},
		{"org", "get", "organizations/a/b"},
		{"device", "get", "organizations/acme"},
		{"device", "list", "acme", "--license-state", "lapsed"},
		{"token", "revoke", "organizations/acme/devices/fw1"},
		{"member", "check-access", "members/m", "--target", "members/x"},
		{"org", "list", "--page-size", "-1"},
	} {
		code, _, errOut := g.api(t, args...)
		if code != 2 || strings.Contains(errOut, "goroutine") {
			t.Errorf("%v: exit %d, want 2; stderr %s", args, code, errOut)
		}
	}
	if n := len(g.requests()); n != 0 {
		t.Errorf("%d requests for bad invocations", n)
	}

	code, _, errOut = cli(t, "org", "list", "-h")
	wantCode(t, code, 0, errOut)
	if !strings.Contains(errOut, "usage: tollgate org list") || !strings.Contains(errOut, "-page-size") {
		t.Errorf("help: %s", errOut)
	}
}

func TestURLAndTokenFromEnvironmentAndState(t *testing.T) {
	g := newFakeGateway(t)
	g.pagedOrgs(t)

	t.Setenv("TOLLGATE_TOKEN", testToken)
	t.Setenv("TOLLGATE_URL", g.srv.URL)
	code, _, errOut := cliEnv(t, "org", "list", "--data-dir", t.TempDir())
	wantCode(t, code, 0, errOut)

	dir := t.TempDir()
	if err := writeState(dir, suiteState{BaseURL: g.srv.URL}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOLLGATE_URL", "")
	g.reset()
	code, _, errOut = cliEnv(t, "org", "list", "--data-dir", dir)
	wantCode(t, code, 0, errOut)
	if len(g.requests()) != 2 || g.requests()[0].auth != "Bearer "+testToken {
		t.Errorf("requests %+v", g.requests())
	}

	code, _, errOut = cliEnv(t, "org", "list", "--url", "ftp://127.0.0.1/")
	wantCode(t, code, 2, errOut)
}
