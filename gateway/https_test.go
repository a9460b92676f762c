package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/server"
	"github.com/tollgate/tollgate/pkg/tlsconfig/tlstest"
)

// TestRunServesHTTPSAndReachesBackendsOverMutualTLS runs the gateway the
// way gatewayd does with --https-* and --peer-tls-* against backends that
// require client certificates: /readyz answers 200 over HTTPS only if
// every backend answered its health check over mutual TLS.
func TestRunServesHTTPSAndReachesBackendsOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "test CA")
	caFile := ca.WriteFile(t, dir, "ca.crt")
	backendPair := tlstest.WritePair(t, dir, "backend", ca.Issue(t, "backend"))
	gatewayPair := tlstest.WritePair(t, dir, "gateway", ca.Issue(t, "gateway"))
	edgePair := tlstest.WritePair(t, dir, "edge", ca.Issue(t, "edge"))
	quiet := slog.New(slog.DiscardHandler)

	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	serverTLS := component.ServerTLSFlags{Cert: backendPair.Cert, Key: backendPair.Key, ClientCA: caFile}
	opts, err := serverTLS.ServerOptions(quiet)
	if err != nil {
		t.Fatal(err)
	}
	peers := map[string]string{}
	for _, b := range Backends {
		peers[b] = startTLSBackend(t, pub, opts)
	}
	peerTLS := component.PeerTLSFlags{CA: caFile, Cert: gatewayPair.Cert, Key: gatewayPair.Key}
	backendCreds, err := peerTLS.Credentials(quiet)
	if err != nil {
		t.Fatal(err)
	}
	httpsConfig, err := (&component.HTTPSFlags{Cert: edgePair.Cert, Key: edgePair.Key}).Config(quiet)
	if err != nil {
		t.Fatal(err)
	}
	devPub, _, _ := ed25519.GenerateKey(rand.Reader)
	users, err := DevUserVerifier(context.Background(), devPub)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{
			Env: component.Env{
				Logger: quiet, Registerer: reg, Signer: auth.NewSigner(key, component.Gateway, 0),
				Verifier: auth.NewVerifier(pub), Peers: peers, ClientTLS: backendCreds, ShutdownTimeout: time.Second,
			},
			Gatherer: reg, Users: users, HTTPS: httpsConfig,
		}, lis)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.PEM)
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport, Timeout: 5 * time.Second}
	url := "https://" + lis.Addr().String() + "/readyz"
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := hc.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK && resp.TLS != nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s never answered 200 over TLS: last %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startTLSBackend serves the shared gRPC chain (health only) with opts.
func startTLSBackend(t *testing.T, pub ed25519.PublicKey, opts []grpc.ServerOption) string {
	t.Helper()
	srv, err := server.New(server.Config{
		Component: "backend", Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry(),
		Identity: auth.NewVerifier(pub), Options: opts,
	})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return lis.Addr().String()
}
