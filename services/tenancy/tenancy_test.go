package tenancy

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/obs"
	"github.com/tollgate/tollgate/pkg/server"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// fakePeers are the membership, token and export services as tenancy
// calls them, recording each call with the identity it came with.
type fakePeers struct {
	membershipv1.UnimplementedMembershipServiceServer
	tokenv1.UnimplementedTokenServiceServer
	exportv1.UnimplementedExportServiceServer

	mu     sync.Mutex
	grants map[string][]*membershipv1.Grant // user → grants
	calls  []string
}

func (f *fakePeers) record(ctx context.Context, call string) {
	p, _ := auth.FromContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, p.String()+" "+call)
}

func (f *fakePeers) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakePeers) ListGrants(ctx context.Context, req *membershipv1.ListGrantsRequest) (*membershipv1.ListGrantsResponse, error) {
	f.record(ctx, "ListGrants "+req.GetUser())
	f.mu.Lock()
	defer f.mu.Unlock()
	return &membershipv1.ListGrantsResponse{Grants: f.grants[req.GetUser()]}, nil
}

func (f *fakePeers) ForgetTarget(ctx context.Context, req *membershipv1.ForgetTargetRequest) (*membershipv1.ForgetTargetResponse, error) {
	f.record(ctx, "ForgetTarget "+req.GetTarget())
	return &membershipv1.ForgetTargetResponse{}, nil
}

func (f *fakePeers) DeleteDeviceTokens(ctx context.Context, req *tokenv1.DeleteDeviceTokensRequest) (*tokenv1.DeleteDeviceTokensResponse, error) {
	f.record(ctx, "DeleteDeviceTokens "+req.GetDevice())
	return &tokenv1.DeleteDeviceTokensResponse{}, nil
}

func (f *fakePeers) PurgeDeviceLogs(ctx context.Context, req *exportv1.PurgeDeviceLogsRequest) (*exportv1.PurgeDeviceLogsResponse, error) {
	f.record(ctx, "PurgeDeviceLogs "+req.GetDevice())
	return &exportv1.PurgeDeviceLogsResponse{}, nil
}

// TestComponentServes runs the component the way tenancyd does, with its
// peers on a loopback listener, and checks that grants come from the
// membership service and deletions reach every peer, always under the
// tenancy service's own identity.
func TestComponentServes(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	verifier := auth.NewVerifier(key.Public().(ed25519.PublicKey))

	peers := &fakePeers{grants: map[string][]*membershipv1.Grant{
		annEmail: {{
			Owner:           ownerEmail,
			AccessPrivilege: privAdmin,
			ExceptionalCases: []*membershipv1.ExceptionalCase{
				{Target: deviceName("org1", "dev2"), Privilege: privNone},
			},
		}},
	}}
	peerSrv, err := server.New(server.Config{
		Component: "peers", Logger: slog.New(slog.DiscardHandler), Registerer: obs.NewRegistry(), Identity: verifier,
	})
	if err != nil {
		t.Fatal(err)
	}
	peerSrv.Register(&membershipv1.MembershipService_ServiceDesc, peers)
	peerSrv.Register(&tokenv1.TokenService_ServiceDesc, peers)
	peerSrv.Register(&exportv1.ExportService_ServiceDesc, peers)
	peerLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	peerCtx, stopPeers := context.WithCancel(context.Background())
	peersServed := make(chan error, 1)
	go func() { peersServed <- peerSrv.Serve(peerCtx, peerLis) }()
	defer func() {
		stopPeers()
		if err := <-peersServed; err != nil {
			t.Errorf("peers: %v", err)
		}
	}()

	addr := peerLis.Addr().String()
	env := component.Env{
		DataDir:    t.TempDir(),
		Logger:     slog.New(slog.DiscardHandler),
		Registerer: obs.NewRegistry(),
		Signer:     auth.NewSigner(key, component.Tenancy, 0),
		Verifier:   verifier,
		Peers:      map[string]string{component.Membership: addr, component.Token: addr, component.Export: addr},
		Secret:     key.Seed(),
	}
	lis := bufconn.Listen(1 << 20)
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- component.Run(ctx, Component, env, lis) }()
	defer func() {
		stop()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	conn, err := grpc.NewClient("passthrough:///tenancy",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.NewSigner(key, component.Gateway, 0).PerRPCCredentials(false)),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h := &harness{client: tenancyv1.NewTenancyServiceClient(conn), clock: &fakeClock{now: t0}}

	h.createOrg(t, owner, "org1")
	dev1 := h.createDevice(t, owner, "org1", "dev1")
	dev2 := h.createDevice(t, owner, "org1", "dev2")
	if got := peers.recorded(); len(got) != 0 {
		t.Fatalf("the owner's own requests asked the peers: %q", got)
	}

	// Ann's grant, read from the membership service: ADMIN, but NONE on dev2.
	if _, err := h.client.GetDevice(as(t, ann), &tenancyv1.GetDeviceRequest{Name: dev1.GetName()}); err != nil {
		t.Fatalf("member's GetDevice: %v", err)
	}
	_, err = h.client.GetDevice(as(t, ann), &tenancyv1.GetDeviceRequest{Name: dev2.GetName()})
	requireStatus(t, err, codes.NotFound, "NOT_FOUND")
	if got, want := peers.recorded(), []string{"service:tenancy ListGrants " + annEmail, "service:tenancy ListGrants " + annEmail}; !slices.Equal(got, want) {
		t.Fatalf("peers saw %q, want %q", got, want)
	}

	peers.mu.Lock()
	peers.calls = nil
	peers.mu.Unlock()
	if _, err := h.client.DeleteOrganization(as(t, owner), &tenancyv1.DeleteOrganizationRequest{Name: orgName("org1"), Force: true}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, d := range []string{dev1.GetName(), dev2.GetName()} {
		want = append(want, "service:tenancy DeleteDeviceTokens "+d, "service:tenancy PurgeDeviceLogs "+d, "service:tenancy ForgetTarget "+d)
	}
	want = append(want, "service:tenancy ForgetTarget "+orgName("org1"))
	if got := peers.recorded(); !slices.Equal(got, want) {
		t.Fatalf("peers saw %q, want %q", got, want)
	}
}
