package tenancy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/access"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/pagetoken"
	"github.com/tollgate/tollgate/pkg/server"
	"github.com/tollgate/tollgate/pkg/servertest"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	"github.com/tollgate/tollgate/services/tenancy/store/boltstore"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	ownerEmail = "owner@example.com"
	otherEmail = "other@example.com"
	annEmail   = "ann@example.com"
)

var (
	owner   = user(ownerEmail)
	other   = user(otherEmail)
	ann     = user(annEmail)
	service = auth.Principal{Kind: auth.KindService, Service: component.Token}
	token   = auth.Principal{
		Kind:         auth.KindToken,
		TokenName:    "organizations/o1/devices/d1/apiTokens/t1",
		Device:       "organizations/o1/devices/d1",
		Organization: "organizations/o1",
	}
)

func user(email string) auth.Principal { return auth.Principal{Kind: auth.KindUser, Email: email} }

var (
	privNone   = membershipv1.Privilege_PRIVILEGE_NONE
	privMember = membershipv1.Privilege_PRIVILEGE_MEMBER
	privAdmin  = membershipv1.Privilege_PRIVILEGE_ADMIN
)

// t0 is the harness clock's initial time.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is the service's clock in tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// fakeGrants is the membership service as the tenancy service sees it:
// user → owner → grant, read afresh on every call.
type fakeGrants struct {
	mu     sync.Mutex
	grants map[string]map[string]access.Grant
	down   bool
}

func (f *fakeGrants) set(user, owner string, g access.Grant) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.grants[user] == nil {
		f.grants[user] = map[string]access.Grant{}
	}
	f.grants[user][owner] = g
}

func (f *fakeGrants) remove(user, owner string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.grants[user], owner)
}

func (f *fakeGrants) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *fakeGrants) ListGrants(_ context.Context, user string) (map[string]access.Grant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, status.Error(codes.Unavailable, "membership is down")
	}
	out := make(map[string]access.Grant, len(f.grants[user]))
	for owner, g := range f.grants[user] {
		out[owner] = access.Grant{AccessPrivilege: g.AccessPrivilege, Cases: maps.Clone(g.Cases)}
	}
	return out, nil
}

// grant builds a grant from an access privilege and target/privilege pairs.
func grant(def membershipv1.Privilege, cases ...any) access.Grant {
	g := access.Grant{AccessPrivilege: def, Cases: map[string]membershipv1.Privilege{}}
	for i := 0; i < len(cases); i += 2 {
		g.Cases[cases[i].(string)] = cases[i+1].(membershipv1.Privilege)
	}
	return g
}

// fakeCleaner records what the service tells the other services.
type fakeCleaner struct {
	mu    sync.Mutex
	calls []string
	fail  bool
}

func (f *fakeCleaner) DeviceDeleted(_ context.Context, device string) error {
	return f.record("device " + device)
}

func (f *fakeCleaner) OrganizationDeleted(_ context.Context, org string) error {
	return f.record("organization " + org)
}

func (f *fakeCleaner) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	if f.fail {
		return errors.New("peer unavailable")
	}
	return nil
}

func (f *fakeCleaner) setFail(fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

func (f *fakeCleaner) told() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// harness is a tenancy service behind the real interceptor chain on an
// in-memory listener, with a client that asserts any principal.
type harness struct {
	client  tenancyv1.TenancyServiceClient
	svc     *Service
	grants  *fakeGrants
	cleaner *fakeCleaner
	clock   *fakeClock
	serials atomic.Int64
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db, err := boltdb.Open(filepath.Join(t.TempDir(), "tenancy.db"), boltstore.Schema, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	// Registered before the server's cleanup, so it runs after it.
	t.Cleanup(func() { _ = db.Close() })
	h := &harness{
		grants:  &fakeGrants{grants: map[string]map[string]access.Grant{}},
		cleaner: &fakeCleaner{},
		clock:   &fakeClock{now: t0},
	}
	h.svc = NewService(boltstore.New(db), h.grants, h.cleaner, pagetoken.New([]byte("test secret"), component.Tenancy), slog.New(slog.DiscardHandler))
	h.svc.now = h.clock.Now
	srv := servertest.Start(t, component.Tenancy, func(s *server.Server) {
		s.Register(&tenancyv1.TenancyService_ServiceDesc, h.svc)
	})
	h.client = tenancyv1.NewTenancyServiceClient(srv.Conn)
	return h
}

// as returns a context whose calls assert p.
func as(t *testing.T, p auth.Principal) context.Context { return auth.NewContext(t.Context(), p) }

func orgName(id string) string         { return "organizations/" + id }
func deviceName(org, id string) string { return "organizations/" + org + "/devices/" + id }

// createOrg creates organizations/{id} as p.
func (h *harness) createOrg(t *testing.T, p auth.Principal, id string) *tenancyv1.Organization {
	t.Helper()
	resp, err := h.client.CreateOrganization(as(t, p), &tenancyv1.CreateOrganizationRequest{
		OrganizationId: id,
		Organization:   &tenancyv1.Organization{DisplayName: "Organization " + id},
	})
	if err != nil {
		t.Fatalf("CreateOrganization(%s): %v", id, err)
	}
	return resp.GetOrganization()
}

// newSerial returns a serial number not used before in this harness.
func (h *harness) newSerial() string { return fmt.Sprintf("S162L%08d", h.serials.Add(1)) }

// deviceInput is a valid device to register, licensed for a year.
func (h *harness) deviceInput(serial string) *tenancyv1.Device {
	return &tenancyv1.Device{
		DisplayName:  "Firewall",
		Model:        "USG FLEX 200",
		SerialNumber: serial,
		MacAddress:   "00-1a-2b-3c-4d-5e",
		TimeZone:     "Europe/Berlin",
		License:      &tenancyv1.License{ExpireTime: timestamppb.New(h.clock.Now().AddDate(1, 0, 0))},
	}
}

// createDevice registers organizations/{org}/devices/{id} as p.
func (h *harness) createDevice(t *testing.T, p auth.Principal, org, id string) *tenancyv1.Device {
	t.Helper()
	resp, err := h.client.CreateDevice(as(t, p), &tenancyv1.CreateDeviceRequest{
		Parent: orgName(org), DeviceId: id, Device: h.deviceInput(h.newSerial()),
	})
	if err != nil {
		t.Fatalf("CreateDevice(%s/%s): %v", org, id, err)
	}
	return resp.GetDevice()
}

// getDevice reads a device as the owner.
func (h *harness) getDevice(t *testing.T, name string) *tenancyv1.Device {
	t.Helper()
	resp, err := h.client.GetDevice(as(t, owner), &tenancyv1.GetDeviceRequest{Name: name})
	if err != nil {
		t.Fatalf("GetDevice(%s): %v", name, err)
	}
	return resp.GetDevice()
}

// snapshot is everything the service keeps, read from its store, and what
// it told the other services.
type snapshot struct {
	orgs    []*tenancyv1.Organization
	devices []*tenancyv1.Device
	told    []string
}

// snapshot reads every organization of the given owners and their devices.
func (h *harness) snapshot(t *testing.T, owners ...string) snapshot {
	t.Helper()
	orgs, err := h.svc.store.ListOrganizations(t.Context(), owners, "", 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot{orgs: orgs, told: h.cleaner.told()}
	for _, o := range orgs {
		devices, err := h.svc.store.ListDevices(t.Context(), o.GetName()[len("organizations/"):], "", 1<<20, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.devices = append(s.devices, devices...)
	}
	return s
}

func (s snapshot) equal(o snapshot) bool {
	return slices.EqualFunc(s.orgs, o.orgs, func(a, b *tenancyv1.Organization) bool { return proto.Equal(a, b) }) &&
		slices.EqualFunc(s.devices, o.devices, func(a, b *tenancyv1.Device) bool { return proto.Equal(a, b) }) &&
		slices.Equal(s.told, o.told)
}

func (s snapshot) String() string {
	return fmt.Sprintf("organizations %v\ndevices %v\ntold %v", s.orgs, s.devices, s.told)
}

// requireStatus checks an RPC error's code and, unless reason is empty, its
// ErrorInfo reason.
func requireStatus(t *testing.T, err error, code codes.Code, reason string) *status.Status {
	t.Helper()
	s := status.Convert(err)
	if s.Code() != code {
		t.Fatalf("code = %s (%q), want %s", s.Code(), s.Message(), code)
	}
	if got := errs.Reason(s); reason != "" && got != reason {
		t.Fatalf("reason = %q (%q), want %s", got, s.Message(), reason)
	}
	return s
}

// fieldsOf returns the fields of a status's BadRequest violations.
func fieldsOf(s *status.Status) []string {
	var out []string
	for _, d := range s.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

func namesOfOrgs(orgs []*tenancyv1.Organization) []string {
	out := []string{}
	for _, o := range orgs {
		out = append(out, o.GetName())
	}
	return out
}

func namesOfDevices(devices []*tenancyv1.Device) []string {
	out := []string{}
	for _, d := range devices {
		out = append(out, d.GetName())
	}
	return out
}

// listAllOrgs pages through ListOrganizations as p with page size n.
func (h *harness) listAllOrgs(t *testing.T, p auth.Principal, n int32) (names []string, pages int) {
	t.Helper()
	req := &tenancyv1.ListOrganizationsRequest{PageSize: n}
	names = []string{}
	for {
		resp, err := h.client.ListOrganizations(as(t, p), req)
		if err != nil {
			t.Fatalf("ListOrganizations page %d: %v", pages+1, err)
		}
		pages++
		if n > 0 && len(resp.GetOrganizations()) > int(n) {
			t.Fatalf("page of %d organizations, page size %d", len(resp.GetOrganizations()), n)
		}
		names = append(names, namesOfOrgs(resp.GetOrganizations())...)
		if resp.GetNextPageToken() == "" {
			return names, pages
		}
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

// listAllDevices pages through ListDevices as p.
func (h *harness) listAllDevices(t *testing.T, p auth.Principal, req *tenancyv1.ListDevicesRequest) (names []string, pages int) {
	t.Helper()
	req = proto.CloneOf(req)
	names = []string{}
	for {
		resp, err := h.client.ListDevices(as(t, p), req)
		if err != nil {
			t.Fatalf("ListDevices page %d: %v", pages+1, err)
		}
		pages++
		if n := req.GetPageSize(); n > 0 && len(resp.GetDevices()) > int(n) {
			t.Fatalf("page of %d devices, page size %d", len(resp.GetDevices()), n)
		}
		names = append(names, namesOfDevices(resp.GetDevices())...)
		if resp.GetNextPageToken() == "" {
			return names, pages
		}
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		req.PageToken = resp.GetNextPageToken()
	}
}
