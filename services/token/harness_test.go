package token

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/pagetoken"
	"github.com/tollgate/tollgate/pkg/server"
	"github.com/tollgate/tollgate/pkg/servertest"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
	"github.com/tollgate/tollgate/services/token/store"
	"github.com/tollgate/tollgate/services/token/store/boltstore"
)

// The cast of the tests: alice owns deviceA (and deviceB); the others are
// members of her account with the named privilege on deviceA.
const (
	owner    = "alice@example.com"
	admin    = "adam@example.com"
	member   = "mia@example.com"
	denied   = "nina@example.com"
	outsider = "oscar@example.com"
	orgName  = "organizations/acme"
	deviceA  = "organizations/acme/devices/fw1"
	deviceB  = "organizations/acme/devices/fw2"
)

var epoch = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// requireServiceCaller is how the real peers guard their internal methods.
func requireServiceCaller(ctx context.Context) error {
	if auth.OutgoingPrincipal(ctx, "token").Kind != auth.KindService {
		return status.Error(codes.PermissionDenied, "internal only")
	}
	return nil
}

// fakeTenancy knows devices by name.
type fakeTenancy struct {
	mu      sync.Mutex
	devices map[string]*tenancyv1.ResolveTargetResponse
	down    bool
	calls   int
}

func (f *fakeTenancy) ResolveTarget(ctx context.Context, req *tenancyv1.ResolveTargetRequest, _ ...grpc.CallOption) (*tenancyv1.ResolveTargetResponse, error) {
	if err := requireServiceCaller(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return nil, status.Error(codes.Unavailable, "connection refused")
	}
	resp, ok := f.devices[req.GetTarget()]
	if !ok {
		return nil, status.Error(codes.NotFound, "target not found")
	}
	return resp, nil
}

func (f *fakeTenancy) setDevice(device string, licenseExpire time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.devices[device] = &tenancyv1.ResolveTargetResponse{
		Owner:        owner,
		Organization: &tenancyv1.Organization{Name: orgName, Owner: owner},
		Device:       &tenancyv1.Device{Name: device, License: &tenancyv1.License{ExpireTime: timestamppb.New(licenseExpire)}},
	}
}

func (f *fakeTenancy) deleteDevice(device string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.devices, device)
}

func (f *fakeTenancy) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// fakeMembership decides from a table of user → privilege on deviceA.
type fakeMembership struct {
	privileges map[string]membershipv1.Privilege
}

func (f *fakeMembership) DecideAccess(ctx context.Context, req *membershipv1.DecideAccessRequest, _ ...grpc.CallOption) (*membershipv1.DecideAccessResponse, error) {
	if err := requireServiceCaller(ctx); err != nil {
		return nil, err
	}
	p, ok := f.privileges[req.GetUser()]
	if !ok || req.GetOwner() != owner {
		return &membershipv1.DecideAccessResponse{Privilege: membershipv1.Privilege_PRIVILEGE_NONE, DecidedBy: membershipv1.DecisionRule_DECISION_RULE_NOT_A_MEMBER}, nil
	}
	return &membershipv1.DecideAccessResponse{Privilege: p, DecidedBy: membershipv1.DecisionRule_DECISION_RULE_DEFAULT}, nil
}

// syncBuffer collects log output from concurrent goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a token service over bufconn behind the real interceptor
// chain, with fake peers and a fake clock.
type harness struct {
	t       *testing.T
	svc     *Service
	client  tokenv1.TokenServiceClient
	clock   *fakeClock
	tenancy *fakeTenancy
	logs    *syncBuffer
	dbPath  string
	store   store.Store
	// stopService ends the background work and flushes uses, as at
	// shutdown; it runs at cleanup if the test did not call it.
	stopService func()
}

type harnessOption func(*Config)

func withConfig(f func(*Config)) harnessOption { return f }

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		clock:   &fakeClock{now: epoch},
		tenancy: &fakeTenancy{devices: map[string]*tenancyv1.ResolveTargetResponse{}},
		logs:    &syncBuffer{},
	}
	h.tenancy.setDevice(deviceA, epoch.Add(365*24*time.Hour))
	h.tenancy.setDevice(deviceB, epoch.Add(365*24*time.Hour))
	h.dbPath = filepath.Join(t.TempDir(), "token.db")
	db, err := boltdb.Open(h.dbPath, boltstore.Schema, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := NewKeyring(randomKey(t))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(io.MultiWriter(h.logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.store = boltstore.New(db)
	cfg := Config{
		Store:   h.store,
		Tenancy: h.tenancy,
		Access: &fakeMembership{privileges: map[string]membershipv1.Privilege{
			admin:  membershipv1.Privilege_PRIVILEGE_ADMIN,
			member: membershipv1.Privilege_PRIVILEGE_MEMBER,
			denied: membershipv1.Privilege_PRIVILEGE_NONE,
		}},
		Keys:               keys,
		Pages:              pagetoken.New([]byte("test secret"), "token"),
		Logger:             logger,
		MaxTokensPerDevice: 3,
		MaxLifetime:        90 * 24 * time.Hour,
		Now:                h.clock.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	h.store = cfg.Store
	h.svc = NewService(cfg)

	ctx, cancel := context.WithCancel(context.Background())
	h.stopService = sync.OnceFunc(h.svc.Start(ctx))
	// Registered before the server's cleanup, so it runs after it.
	t.Cleanup(func() {
		cancel()
		h.stopService()
		_ = db.Close()
	})
	srv := servertest.Start(t, "token", func(s *server.Server) {
		s.Register(&tokenv1.TokenService_ServiceDesc, h.svc)
	}, servertest.Options{Logs: io.MultiWriter(h.logs, testWriter{t})})
	h.client = tokenv1.NewTokenServiceClient(srv.Conn)
	return h
}

// testWriter shows the service's logs in verbose test output.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if testing.Verbose() {
		w.t.Log(string(bytes.TrimSpace(p)))
	}
	return len(p), nil
}

func randomKey(t testing.TB) []byte {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return key
}

func asUser(email string) context.Context {
	return auth.NewContext(context.Background(), auth.Principal{Kind: auth.KindUser, Email: email})
}

func asGateway() context.Context {
	return auth.NewContext(context.Background(), auth.Principal{Kind: auth.KindService, Service: "gateway"})
}

func asToken(name string) context.Context {
	org, device := orgName, name[:len(name)-len("/apiTokens/")-16]
	return auth.NewContext(context.Background(), auth.Principal{Kind: auth.KindToken, TokenName: name, Device: device, Organization: org})
}

// create makes a token on device as user and returns it with its secret.
func (h *harness) create(user, device, displayName string) (*tokenv1.ApiToken, string) {
	h.t.Helper()
	resp, err := h.client.CreateApiToken(asUser(user), &tokenv1.CreateApiTokenRequest{
		Parent: device, ApiToken: &tokenv1.ApiToken{DisplayName: displayName},
	})
	if err != nil {
		h.t.Fatalf("CreateApiToken as %s: %v", user, err)
	}
	return resp.GetApiToken(), resp.GetSecret()
}

func (h *harness) validate(secret string) (*tokenv1.ValidateTokenResponse, error) {
	return h.client.ValidateToken(asGateway(), &tokenv1.ValidateTokenRequest{Token: secret, ClientAddress: "198.51.100.7"})
}

// mustValidate fails the test unless secret validates.
func (h *harness) mustValidate(secret string) *tokenv1.ValidateTokenResponse {
	h.t.Helper()
	resp, err := h.validate(secret)
	if err != nil {
		h.t.Fatalf("ValidateToken: %v", err)
	}
	return resp
}

// wantStatus fails unless err has the code and (if not empty) reason.
func wantStatus(t *testing.T, err error, code codes.Code, reason string) {
	t.Helper()
	s, _ := status.FromError(err)
	if s.Code() != code || (reason != "" && errs.Reason(s) != reason) {
		t.Fatalf("got %v (reason %q), want %s with reason %q", err, errs.Reason(s), code, reason)
	}
}
