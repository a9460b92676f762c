package client

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/obs"
	"github.com/tollgate/tollgate/pkg/server"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// whoami answers ResolveTarget with the caller and request id it saw.
type whoami struct {
	tenancyv1.UnimplementedTenancyServiceServer
}

func (whoami) ResolveTarget(ctx context.Context, _ *tenancyv1.ResolveTargetRequest) (*tenancyv1.ResolveTargetResponse, error) {
	p, _ := auth.FromContext(ctx)
	return &tenancyv1.ResolveTargetResponse{Owner: p.String() + " " + obs.RequestID(ctx)}, nil
}

func TestDialCallsAServiceWithTheInternalIdentity(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	srv, err := server.New(server.Config{Component: "tenancy", Logger: slog.New(slog.DiscardHandler),
		Registerer: prometheus.NewRegistry(), Identity: auth.NewVerifier(pub)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Register(&tenancyv1.TenancyService_ServiceDesc, whoami{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis); close(done) }()
	defer func() { cancel(); <-done }()

	conn, err := Dial(lis.Addr().String(), Options{Signer: auth.NewSigner(key, "my-collector", 0)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tenancy := tenancyv1.NewTenancyServiceClient(conn)
	req := &tenancyv1.ResolveTargetRequest{Target: "organizations/acme"}

	resp, err := tenancy.ResolveTarget(obs.WithRequestID(context.Background(), "rid-1"), req)
	if err != nil || resp.GetOwner() != "service:my-collector rid-1" {
		t.Fatalf("as a service: %v %v", resp, err)
	}
	onBehalf := auth.NewContext(context.Background(), auth.Principal{Kind: auth.KindUser, Email: "ann@example.com"})
	resp, err = tenancy.ResolveTarget(onBehalf, req)
	if err != nil || resp.GetOwner()[:len("user:ann@example.com")] != "user:ann@example.com" {
		t.Fatalf("on behalf of a user: %v %v", resp, err)
	}
}

func TestDialNeedsASigner(t *testing.T) {
	if _, err := Dial("127.0.0.1:1", Options{}); err == nil {
		t.Fatal("Dial without a signer must fail")
	}
}

func TestRetryConfigCoversOnlyIdempotentMethods(t *testing.T) {
	var cfg struct {
		MethodConfig []struct {
			Name []struct{ Service, Method string } `json:"name"`
		} `json:"methodConfig"`
	}
	if err := json.Unmarshal([]byte(retryServiceConfig()), &cfg); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range cfg.MethodConfig[0].Name {
		got[n.Method] = true
	}
	for _, m := range []string{"GetOrganization", "ListDevices", "ResolveTarget"} {
		if !got[m] {
			t.Errorf("%s should be retried", m)
		}
	}
	for _, m := range []string{"CreateOrganization", "DeleteDevice", "UpdateDevice"} {
		if got[m] {
			t.Errorf("%s must not be retried", m)
		}
	}
}
