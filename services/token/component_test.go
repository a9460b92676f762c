package token

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/client"
	"github.com/tollgate/tollgate/pkg/component"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

func componentEnv(t *testing.T, settings component.Settings) (component.Env, ed25519.PrivateKey) {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return component.Env{
		DataDir:    t.TempDir(),
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: prometheus.NewRegistry(),
		Signer:     auth.NewSigner(key, component.Token, 0),
		Verifier:   auth.NewVerifier(key.Public().(ed25519.PublicKey)),
		// Peers are dialled lazily: nothing needs to listen there for
		// these tests.
		Peers:           map[string]string{component.Tenancy: "127.0.0.1:1", component.Membership: "127.0.0.1:1"},
		ShutdownTimeout: time.Minute,
		Secret:          []byte("deployment secret"),
		Settings:        settings,
	}, key
}

// TestComponentShutsDownWithOpenWatchStreams checks that watch streams end
// when the service stops, instead of holding the graceful shutdown until
// its timeout.
func TestComponentShutsDownWithOpenWatchStreams(t *testing.T) {
	settings := NewSettings()
	env, key := componentEnv(t, settings)
	if err := settings.UseDataDir(env.DataDir); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- component.Run(ctx, Component, env, lis) }()

	conn, err := client.Dial(lis.Addr().String(), client.Options{Signer: auth.NewSigner(key, component.Gateway, 0)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := tokenv1.NewTokenServiceClient(conn).WatchTokenEvents(context.Background(), &tokenv1.WatchTokenEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := stream.Recv(); err != nil || ev.GetKind() != tokenv1.TokenEventKind_TOKEN_EVENT_KIND_HEARTBEAT {
		t.Fatalf("first event %v, %v", ev, err)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown waited for the open watch stream")
	}
	if _, err := stream.Recv(); err == nil {
		t.Fatal("the stream outlived the service")
	}
	t.Logf("shut down in %s with a watch stream open", time.Since(start).Round(time.Millisecond))
}

func TestComponentNeedsAHashKey(t *testing.T) {
	env, _ := componentEnv(t, NewSettings())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	err = component.Run(context.Background(), Component, env, lis)
	if err == nil || !strings.Contains(err.Error(), "--token-hash-key") {
		t.Fatalf("Run without a key = %v, want a pointer to --token-hash-key", err)
	}
}
