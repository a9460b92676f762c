package component

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/pkg/config"
	"github.com/tollgate/tollgate/pkg/tlsconfig/tlstest"
)

var quiet = slog.New(slog.DiscardHandler)

// testPKI is a CA with a server and a client certificate on disk.
type testPKI struct {
	ca             *tlstest.CA
	caFile         string
	server, client tlstest.Pair
}

func newTestPKI(t *testing.T) testPKI {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "test CA")
	return testPKI{
		ca:     ca,
		caFile: ca.WriteFile(t, dir, "ca.crt"),
		server: tlstest.WritePair(t, dir, "server", ca.Issue(t, "demo")),
		client: tlstest.WritePair(t, dir, "client", ca.Issue(t, "admin")),
	}
}

func TestServiceServesMutualTLSFromTheFlags(t *testing.T) {
	pki := newTestPKI(t)
	serverTLS := ServerTLSFlags{Cert: pki.server.Cert, Key: pki.server.Key, ClientCA: pki.caFile}
	opts, err := serverTLS.ServerOptions(quiet)
	if err != nil || len(opts) != 1 {
		t.Fatalf("ServerOptions = %d options, %v", len(opts), err)
	}
	addr, key := runDemo(t, opts...)

	peerTLS := PeerTLSFlags{CA: pki.caFile, Cert: pki.client.Cert, Key: pki.client.Key}
	creds, err := peerTLS.Credentials(quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := backup(t, context.Background(), addr, key, creds, "demo"); err != nil {
		t.Fatalf("backup over mutual TLS: %v", err)
	}
	if _, _, err := backup(t, context.Background(), addr, key, nil, "demo"); status.Code(err) != codes.Unavailable {
		t.Errorf("plaintext call to a TLS service = %v, want UNAVAILABLE", err)
	}
	noCert, err := (&PeerTLSFlags{CA: pki.caFile}).Credentials(quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := backup(t, context.Background(), addr, key, noCert, "demo"); status.Code(err) != codes.Unavailable {
		t.Errorf("call without a client certificate = %v, want UNAVAILABLE", err)
	}
}

func TestPlaintextWhenNoTLSFlagIsGiven(t *testing.T) {
	opts, err := (&ServerTLSFlags{}).ServerOptions(quiet)
	if err != nil || opts != nil {
		t.Errorf("ServerOptions = %v, %v; want none", opts, err)
	}
	creds, err := (&PeerTLSFlags{}).Credentials(quiet)
	if err != nil || creds != nil {
		t.Errorf("Credentials = %v, %v; want nil", creds, err)
	}
	cfg, err := (&HTTPSFlags{}).Config(quiet)
	if err != nil || cfg != nil {
		t.Errorf("Config = %v, %v; want nil", cfg, err)
	}
}

func TestServeHTTPServesHTTPSWithTheCertificateFiles(t *testing.T) {
	pki := newTestPKI(t)
	cfg, err := (&HTTPSFlags{Cert: pki.server.Cert, Key: pki.server.Key}).Config(quiet)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }),
		TLSConfig:         cfg,
		ReadHeaderTimeout: time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeHTTP(ctx, srv, lis, time.Second) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeHTTP: %v", err)
		}
	}()

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pki.ca.PEM)
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, ForceAttemptHTTP2: true}
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: transport, Timeout: 10 * time.Second}).Get("https://" + lis.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil || resp.ProtoMajor != 2 {
		t.Fatalf("GET = %d over %s (TLS %v), want 200 over HTTP/2 with TLS", resp.StatusCode, resp.Proto, resp.TLS != nil)
	}
}

func TestTLSFlagsReportIncompleteSettings(t *testing.T) {
	pki := newTestPKI(t)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for name, tc := range map[string]struct {
		check func(*config.Problems)
		want  []string
	}{
		"cert without key": {(&ServerTLSFlags{Cert: pki.server.Cert}).Check, []string{"-tls-key: must be set together with --tls-cert"}},
		"key without cert": {(&ServerTLSFlags{Key: pki.server.Key}).Check, []string{"-tls-cert: must be set together with --tls-key"}},
		"missing file":     {(&ServerTLSFlags{Cert: missing, Key: pki.server.Key}).Check, []string{"-tls-cert:", "missing.pem"}},
		"client CA alone":  {(&ServerTLSFlags{ClientCA: pki.caFile}).Check, []string{"-tls-client-ca: needs --tls-cert"}},
		"peer cert alone":  {(&PeerTLSFlags{Cert: pki.client.Cert, Key: pki.client.Key}).Check, []string{"-peer-tls-ca: must be set"}},
		"peer name alone":  {(&PeerTLSFlags{ServerName: "tenancy"}).Check, []string{"-peer-tls-ca: must be set"}},
		"peer key alone":   {(&PeerTLSFlags{CA: pki.caFile, Key: pki.client.Key}).Check, []string{"-peer-tls-cert: must be set together"}},
		"peer CA missing":  {(&PeerTLSFlags{CA: missing}).Check, []string{"-peer-tls-ca:", "missing.pem"}},
		"https cert alone": {(&HTTPSFlags{Cert: pki.server.Cert}).Check, []string{"-https-key: must be set together"}},
	} {
		var p config.Problems
		tc.check(&p)
		err := p.Err()
		if err == nil {
			t.Errorf("%s: no problem reported", name)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q does not mention %q", name, err, want)
			}
		}
	}
	var p config.Problems
	(&ServerTLSFlags{Cert: pki.server.Cert, Key: pki.server.Key, ClientCA: pki.caFile}).Check(&p)
	(&PeerTLSFlags{CA: pki.caFile, Cert: pki.client.Cert, Key: pki.client.Key, ServerName: "tenancy"}).Check(&p)
	(&HTTPSFlags{Cert: pki.server.Cert, Key: pki.server.Key}).Check(&p)
	if err := p.Err(); err != nil {
		t.Errorf("complete settings: %v", err)
	}
}
