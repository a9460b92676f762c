package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/errs"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// probe is a TenancyService whose GetOrganization does what the
// organization name asks, to exercise the interceptor chain.
type probe struct {
	tenancyv1.UnimplementedTenancyServiceServer
}

func (probe) GetOrganization(ctx context.Context, req *tenancyv1.GetOrganizationRequest) (*tenancyv1.GetOrganizationResponse, error) {
	switch req.GetName() {
	case "organizations/panic":
		panic("boom")
	case "organizations/missing":
		return nil, fmt.Errorf("organization %q: %w", "missing", errs.ErrNotFound)
	case "organizations/self":
		return nil, errs.Invalid("member.email", "CANNOT_ADD_SELF", "you cannot add yourself")
	case "organizations/secret":
		return nil, errors.New("bolt: page 42 corrupt at /var/lib/secret.db")
	}
	p, _ := auth.FromContext(ctx)
	return &tenancyv1.GetOrganizationResponse{Organization: &tenancyv1.Organization{Name: req.GetName(), Owner: p.String()}}, nil
}

type harness struct {
	client tenancyv1.TenancyServiceClient
	health healthpb.HealthClient
	signer *auth.Signer
	logs   *syncBuffer
	stop   func() error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T) *harness {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	srv, err := New(Config{
		Component:  "test",
		Logger:     slog.New(slog.NewJSONHandler(logs, nil)),
		Registerer: prometheus.NewRegistry(),
		Identity:   auth.NewVerifier(pub),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Register(&tenancyv1.TenancyService_ServiceDesc, probe{})
	lis := bufconn.Listen(1 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		client: tenancyv1.NewTenancyServiceClient(conn),
		health: healthpb.NewHealthClient(conn),
		signer: auth.NewSigner(key, "tester", time.Minute),
		logs:   logs,
	}
	var once sync.Once
	var stopErr error
	h.stop = func() error {
		once.Do(func() {
			cancel()
			stopErr = <-served
			_ = conn.Close()
		})
		return stopErr
	}
	t.Cleanup(func() { _ = h.stop() })
	return h
}

func (h *harness) asUser(t *testing.T, email string) context.Context {
	t.Helper()
	a, err := h.signer.Sign(auth.Principal{Kind: auth.KindUser, Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(context.Background(), auth.MetadataKey, a)
}

func reasonOf(err error) string { return errs.Reason(status.Convert(err)) }

func TestIdentityIsRequiredAndVerified(t *testing.T) {
	h := start(t)
	req := &tenancyv1.GetOrganizationRequest{Name: "organizations/a"}

	_, err := h.client.GetOrganization(context.Background(), req)
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no identity: %v", err)
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	forged, _ := auth.NewSigner(otherKey, "mallory", time.Minute).Sign(auth.Principal{Kind: auth.KindUser, Email: "a@b.c"})
	_, err = h.client.GetOrganization(metadata.AppendToOutgoingContext(context.Background(), auth.MetadataKey, forged), req)
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("forged identity: %v", err)
	}
	resp, err := h.client.GetOrganization(h.asUser(t, "alice@example.com"), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetOrganization().GetOwner(); got != "user:alice@example.com" {
		t.Fatalf("handler saw principal %q", got)
	}
}

func TestHealthNeedsNoIdentity(t *testing.T) {
	h := start(t)
	for _, svc := range []string{"", "tollgate.tenancy.v1.TenancyService"} {
		resp, err := h.health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %q: %v %v", svc, resp, err)
		}
	}
}

func TestValidationNamesTheField(t *testing.T) {
	h := start(t)
	_, err := h.client.GetOrganization(h.asUser(t, "a@b.c"), &tenancyv1.GetOrganizationRequest{Name: "Not A Name"})
	s := status.Convert(err)
	if s.Code() != codes.InvalidArgument || !strings.Contains(s.Message(), "name") {
		t.Fatalf("got %v", err)
	}
	var fields []string
	for _, d := range s.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	if len(fields) != 1 || fields[0] != "name" {
		t.Fatalf("field violations %v", fields)
	}
}

func TestErrorsMapToCodesWithoutLeaking(t *testing.T) {
	h := start(t)
	cases := []struct {
		name   string
		code   codes.Code
		reason string
	}{
		{"organizations/missing", codes.NotFound, "NOT_FOUND"},
		{"organizations/self", codes.InvalidArgument, "CANNOT_ADD_SELF"},
		{"organizations/secret", codes.Internal, "INTERNAL"},
		{"organizations/panic", codes.Internal, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.GetOrganization(h.asUser(t, "a@b.c"), &tenancyv1.GetOrganizationRequest{Name: tc.name})
			if status.Code(err) != tc.code || reasonOf(err) != tc.reason {
				t.Fatalf("got %v (reason %q), want %v %q", err, reasonOf(err), tc.code, tc.reason)
			}
			if strings.Contains(err.Error(), "secret.db") {
				t.Fatalf("internal detail leaked: %v", err)
			}
		})
	}
	// The server survived the panic, and logged what the client did not see.
	if _, err := h.client.GetOrganization(h.asUser(t, "a@b.c"), &tenancyv1.GetOrganizationRequest{Name: "organizations/a"}); err != nil {
		t.Fatal(err)
	}
	logs := h.logs.String()
	for _, want := range []string{"secret.db", "panic in handler", `"principal":"user:a@b.c"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestRequestIDIsEchoed(t *testing.T) {
	h := start(t)
	var header metadata.MD
	ctx := metadata.AppendToOutgoingContext(h.asUser(t, "a@b.c"), "x-request-id", "req-123")
	if _, err := h.client.GetOrganization(ctx, &tenancyv1.GetOrganizationRequest{Name: "organizations/a"}, grpc.Header(&header)); err != nil {
		t.Fatal(err)
	}
	if got := header.Get("x-request-id"); len(got) != 1 || got[0] != "req-123" {
		t.Fatalf("x-request-id = %v", got)
	}
	if !strings.Contains(h.logs.String(), `"request_id":"req-123"`) {
		t.Fatal("request id not in the log")
	}
	// An unacceptable id is replaced, never echoed.
	ctx = metadata.AppendToOutgoingContext(h.asUser(t, "a@b.c"), "x-request-id", "bad id; with spaces")
	if _, err := h.client.GetOrganization(ctx, &tenancyv1.GetOrganizationRequest{Name: "organizations/a"}, grpc.Header(&header)); err != nil {
		t.Fatal(err)
	}
	if got := header.Get("x-request-id"); len(got) != 1 || len(got[0]) != 32 {
		t.Fatalf("x-request-id = %v, want a fresh id", got)
	}
}

func TestGracefulShutdown(t *testing.T) {
	h := start(t)
	if err := h.stop(); err != nil {
		t.Fatalf("Serve returned %v after a requested shutdown", err)
	}
}
