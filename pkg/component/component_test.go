package component

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunServesAndShutsDownInOrder(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	var order []string
	svc := Service{
		Name:   "demo",
		Schema: boltdb.Schema{Service: "demo"},
		Setup: func(_ context.Context, _ *Env, _ *boltdb.DB, _ *server.Server) (func(), error) {
			return func() { order = append(order, "cleanup") }, nil
		},
	}
	env := Env{DataDir: dir, Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry(),
		Signer: auth.NewSigner(key, "demo", 0), Verifier: auth.NewVerifier(pub), ShutdownTimeout: time.Second}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, svc, env, lis) }()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", resp, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(order) != 1 {
		t.Fatalf("cleanup ran %d times", len(order))
	}
	// The database was closed: it opens again at once, without waiting on a lock.
	db, err := boltdb.Open(DatabasePath(dir, "demo"), svc.Schema, boltdb.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	_ = db.Close()
}

func TestRunRefusesALockedDatabase(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	schema := boltdb.Schema{Service: "demo"}
	held, err := boltdb.Open(DatabasePath(dir, "demo"), schema, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	defer lis.Close()
	env := Env{DataDir: dir, Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry(),
		Signer: auth.NewSigner(key, "demo", 0), Verifier: auth.NewVerifier(pub)}
	svc := Service{Name: "demo", Schema: schema, Setup: func(context.Context, *Env, *boltdb.DB, *server.Server) (func(), error) { return nil, nil }}
	start := time.Now()
	if err := Run(context.Background(), svc, env, lis); err == nil {
		t.Fatal("Run must fail while another process holds the database")
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("lock wait is not bounded")
	}
}
