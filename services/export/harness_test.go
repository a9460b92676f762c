package export

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
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
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	"github.com/tollgate/tollgate/services/export/store/boltstore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	owner     = "owner@acme.example"
	org       = "organizations/acme"
	deviceFW1 = org + "/devices/fw-1"
	deviceFW2 = org + "/devices/fw-2"
	deviceKir = org + "/devices/kiritimati"
	devicePag = org + "/devices/pago-pago"
	deviceOld = org + "/devices/expired"
)

// testNow is the harness clock's start: 2026-05-10 10:30 UTC, which is
// already 2026-05-11 in Kiritimati (UTC+14) and still 2026-05-09 in Pago
// Pago (UTC-11).
var testNow = time.Date(2026, 5, 10, 10, 30, 0, 0, time.UTC)

// harness runs the service over bufconn behind the real server chain
// (identity, validation, error mapping), with fake tenancy and membership.
type harness struct {
	dbPath     string
	noSync     bool
	pages      *pagetoken.Codec
	tenancy    *fakeTenancy
	membership *fakeMembership
	clock      *clock
	spoolDir   string

	db     *boltdb.DB
	store  *boltstore.Store
	client exportv1.ExportServiceClient
	stop   func()
}

func newHarness(t testing.TB, noSync bool) *harness {
	h := &harness{
		dbPath:     filepath.Join(t.TempDir(), "export.db"),
		noSync:     noSync,
		pages:      pagetoken.New([]byte("deployment secret"), "export"),
		tenancy:    newFakeTenancy(),
		membership: &fakeMembership{privileges: map[string]membershipv1.Privilege{}},
		clock:      &clock{now: testNow},
		spoolDir:   t.TempDir(),
	}
	h.start(t)
	t.Cleanup(h.shutdown)
	return h
}

// start opens the database and serves the service.
func (h *harness) start(t testing.TB) {
	db, err := boltdb.Open(h.dbPath, boltstore.Schema, boltdb.Options{NoSync: h.noSync})
	if err != nil {
		t.Fatal(err)
	}
	h.db, h.store = db, boltstore.New(db)
	svc := NewService(Config{
		Store:      h.store,
		Tenancy:    h.tenancy,
		Membership: h.membership,
		Pages:      h.pages,
		SpoolDir:   h.spoolDir,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:        h.clock.Now,
	})
	srv := servertest.Start(t, "export", func(s *server.Server) {
		s.Register(&exportv1.ExportService_ServiceDesc, svc)
	})
	h.client = exportv1.NewExportServiceClient(srv.Conn)
	h.stop = func() {
		srv.Stop()
		_ = h.store.Close()
		if err := h.db.Close(); err != nil {
			t.Errorf("close db: %v", err)
		}
	}
}

func (h *harness) shutdown() {
	if h.stop != nil {
		h.stop()
		h.stop = nil
	}
}

// restart stops everything, closing the database, and starts again on the
// same file.
func (h *harness) restart(t testing.TB) {
	h.shutdown()
	h.start(t)
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Principals, as the gateway or a peer would present them.

func asUser(email string) context.Context {
	return auth.NewContext(context.Background(), auth.Principal{Kind: auth.KindUser, Email: email})
}

func asToken(device string) context.Context {
	return auth.NewContext(context.Background(), auth.Principal{
		Kind: auth.KindToken, TokenName: device + "/apiTokens/tok-1", Device: device, Organization: org,
	})
}

func asPeer() context.Context {
	return auth.NewContext(context.Background(), auth.Principal{Kind: auth.KindService, Service: "collector"})
}

// fakeTenancy answers ResolveTarget from a map of devices.
type fakeTenancy struct {
	mu      sync.Mutex
	devices map[string]*tenancyv1.Device
}

func newFakeTenancy() *fakeTenancy {
	f := &fakeTenancy{devices: map[string]*tenancyv1.Device{}}
	active := testNow.Add(365 * 24 * time.Hour)
	f.add(deviceFW1, "Europe/Berlin", active)
	f.add(deviceFW2, "UTC", active)
	f.add(deviceKir, "Pacific/Kiritimati", active)
	f.add(devicePag, "Pacific/Pago_Pago", active)
	f.add(deviceOld, "UTC", testNow.Add(-time.Hour))
	return f
}

func (f *fakeTenancy) add(name, zone string, licenseExpiry time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.devices[name] = &tenancyv1.Device{Name: name, TimeZone: zone, License: &tenancyv1.License{ExpireTime: timestamppb.New(licenseExpiry)}}
}

func (f *fakeTenancy) remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.devices, name)
}

func (f *fakeTenancy) ResolveTarget(ctx context.Context, in *tenancyv1.ResolveTargetRequest, _ ...grpc.CallOption) (*tenancyv1.ResolveTargetResponse, error) {
	if err := requirePeerIdentity(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.devices[in.GetTarget()]
	if !ok {
		return nil, status.Error(codes.NotFound, "target not found")
	}
	return &tenancyv1.ResolveTargetResponse{Owner: owner, Organization: &tenancyv1.Organization{Name: org, Owner: owner}, Device: d}, nil
}

// fakeMembership answers DecideAccess from a map of "user target" to privilege.
type fakeMembership struct {
	mu         sync.Mutex
	privileges map[string]membershipv1.Privilege
}

func (f *fakeMembership) grant(user, target string, p membershipv1.Privilege) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.privileges[user+" "+target] = p
}

func (f *fakeMembership) DecideAccess(ctx context.Context, in *membershipv1.DecideAccessRequest, _ ...grpc.CallOption) (*membershipv1.DecideAccessResponse, error) {
	if err := requirePeerIdentity(ctx); err != nil {
		return nil, err
	}
	if in.GetOwner() != owner {
		return nil, status.Error(codes.InvalidArgument, "wrong owner")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.privileges[in.GetUser()+" "+in.GetTarget()]; ok {
		return &membershipv1.DecideAccessResponse{Privilege: p, DecidedBy: membershipv1.DecisionRule_DECISION_RULE_DEFAULT}, nil
	}
	return &membershipv1.DecideAccessResponse{Privilege: membershipv1.Privilege_PRIVILEGE_NONE, DecidedBy: membershipv1.DecisionRule_DECISION_RULE_NOT_A_MEMBER}, nil
}

// requirePeerIdentity asserts that the service calls its peers as itself,
// as the real internal methods demand.
func requirePeerIdentity(ctx context.Context) error {
	if p := auth.OutgoingPrincipal(ctx, "export"); p.Kind != auth.KindService || p.Service != "export" {
		return status.Error(codes.PermissionDenied, "internal only")
	}
	return nil
}

// Calls.

func (h *harness) ingest(ctx context.Context, device string, batches ...[]*exportv1.LogRecord) (*exportv1.IngestLogsResponse, error) {
	stream, err := h.client.IngestLogs(ctx)
	if err != nil {
		return nil, err
	}
	for _, b := range batches {
		if err := stream.Send(&exportv1.IngestLogsRequest{Device: device, Records: b}); err != nil {
			break // the server ended the stream; CloseAndRecv has its status
		}
	}
	return stream.CloseAndRecv()
}

func (h *harness) mustIngest(t testing.TB, device string, batches ...[]*exportv1.LogRecord) {
	t.Helper()
	if _, err := h.ingest(asPeer(), device, batches...); err != nil {
		t.Fatalf("ingest: %v", err)
	}
}

func (h *harness) streamAll(ctx context.Context, req *exportv1.StreamLogsRequest) ([]*exportv1.LogRecord, error) {
	stream, err := h.client.StreamLogs(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []*exportv1.LogRecord
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, resp.GetLogs()...)
	}
}

// archive downloads an archive and returns its chunks.
func (h *harness) archive(ctx context.Context, device, date string) ([][]byte, error) {
	stream, err := h.client.GetArchive(ctx, &exportv1.GetArchiveRequest{Device: device, DeviceDate: date})
	if err != nil {
		return nil, err
	}
	var chunks [][]byte
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return chunks, nil
		}
		if err != nil {
			return chunks, err
		}
		chunks = append(chunks, resp.GetChunk())
	}
}

// wantStatus asserts an error's code and, when reason is set, its reason.
func wantStatus(t testing.TB, err error, code codes.Code, reason string) {
	t.Helper()
	s := status.Convert(err)
	if s.Code() != code || (reason != "" && errs.Reason(s) != reason) {
		t.Fatalf("got %v (reason %q), want %v (reason %q)", err, errs.Reason(s), code, reason)
	}
}
