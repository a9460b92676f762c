// Package servertest runs a component's gRPC server in a test the way
// production does — the real interceptor chain, real identity keys — over
// an in-memory bufconn listener, so every service's tests share one harness.
package servertest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/obs"
	"github.com/tollgate/tollgate/pkg/server"
)

// Server is a running test server.
type Server struct {
	// Conn reaches the server; each call asserts the principal put in its
	// context with auth.NewContext (see As), else the service identity
	// "test-client".
	Conn *grpc.ClientConn
	// Key is the deployment's internal identity key.
	Key ed25519.PrivateKey

	stop func()
}

// Stop stops the server before the test ends (to restart a service over
// the same database, say); it is idempotent.
func (s *Server) Stop() { s.stop() }

// Options tune Start.
type Options struct {
	Logs io.Writer // where the server logs (discarded when nil)
}

// Start serves the component named component, set up by register, until
// the test ends; shutdown errors fail the test.
func Start(t testing.TB, component string, register func(*server.Server), opts ...Options) *Server {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var logs io.Writer = io.Discard
	if len(opts) > 0 && opts[0].Logs != nil {
		logs = opts[0].Logs
	}
	srv, err := server.New(server.Config{
		Component:  component,
		Logger:     slog.New(slog.NewJSONHandler(logs, nil)),
		Registerer: obs.NewRegistry(),
		Identity:   auth.NewVerifier(key.Public().(ed25519.PublicKey)),
	})
	if err != nil {
		t.Fatal(err)
	}
	register(srv)
	lis := bufconn.Listen(1 << 20)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	conn, err := grpc.NewClient("passthrough:///"+component,
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.NewSigner(key, "test-client", 0).PerRPCCredentials(false)),
	)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Conn: conn, Key: key}
	s.stop = sync.OnceFunc(func() {
		_ = conn.Close()
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	t.Cleanup(s.Stop)
	return s
}

// As returns a context whose calls assert p.
func As(t testing.TB, p auth.Principal) context.Context {
	return auth.NewContext(t.Context(), p)
}

// User is the principal of a user.
func User(email string) auth.Principal { return auth.Principal{Kind: auth.KindUser, Email: email} }

// Service is the principal of a Tollgate component.
func Service(name string) auth.Principal {
	return auth.Principal{Kind: auth.KindService, Service: name}
}
