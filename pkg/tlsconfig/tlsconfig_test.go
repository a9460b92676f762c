package tlsconfig

import (
	"context"
	"crypto/tls"
	"log/slog"
	"math/big"
	"net"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/pkg/tlsconfig/tlstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// everyHandshake makes each handshake check the files, so tests need not
// wait for DefaultReloadInterval.
var everyHandshake = Options{ReloadInterval: time.Nanosecond, Logger: slog.New(slog.DiscardHandler)}

// pki is a CA with a server and a client certificate on disk.
type pki struct {
	dir            string
	ca             *tlstest.CA
	caFile         string
	server, client tlstest.Pair
	serverSerial   *big.Int
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "tollgate test CA")
	serverLeaf := ca.Issue(t, "server", "tenancy.tollgate.svc")
	p := &pki{dir: dir, ca: ca, caFile: filepath.Join(dir, "ca.crt"), serverSerial: serverLeaf.Serial}
	tlstest.WriteFile(t, p.caFile, ca.PEM)
	p.server = tlstest.WritePair(t, dir, "server", serverLeaf)
	p.client = tlstest.WritePair(t, dir, "client", ca.Issue(t, "client"))
	return p
}

func (p *pki) mutualServerFiles() ServerFiles {
	return ServerFiles{CertFile: p.server.Cert, KeyFile: p.server.Key, ClientCAFile: p.caFile, Options: everyHandshake}
}

func (p *pki) clientFiles() ClientFiles {
	return ClientFiles{CAFile: p.caFile, CertFile: p.client.Cert, KeyFile: p.client.Key, Options: everyHandshake}
}

// serve runs a gRPC health server with creds on a loopback port.
func serve(t *testing.T, files ServerFiles) string {
	t.Helper()
	creds, err := ServerCredentials(files)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(creds))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// call makes one RPC on a new connection (so a new handshake) and returns
// the serial number of the certificate the server presented.
func call(t *testing.T, addr string, files ClientFiles) (*big.Int, error) {
	t.Helper()
	creds, err := ClientCredentials(files)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var p peer.Peer
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Peer(&p)); err != nil {
		return nil, err
	}
	return p.AuthInfo.(credentials.TLSInfo).State.PeerCertificates[0].SerialNumber, nil
}

func mustCall(t *testing.T, addr string, files ClientFiles) *big.Int {
	t.Helper()
	serial, err := call(t, addr, files)
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	return serial
}

func mustBeRefused(t *testing.T, addr string, files ClientFiles) {
	t.Helper()
	_, err := call(t, addr, files)
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("call = %v, want the handshake refused (UNAVAILABLE)", err)
	}
}

func TestMutualTLSPicksUpARotatedServerCertificateWithoutRestart(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, p.mutualServerFiles())
	if got := mustCall(t, addr, p.clientFiles()); got.Cmp(p.serverSerial) != 0 {
		t.Fatalf("server presented serial %v, want %v", got, p.serverSerial)
	}
	rotated := p.ca.Issue(t, "server", "tenancy.tollgate.svc")
	p.server.Replace(t, rotated)
	if got := mustCall(t, addr, p.clientFiles()); got.Cmp(rotated.Serial) != 0 {
		t.Fatalf("after rotation the server presented serial %v, want the new %v", got, rotated.Serial)
	}
}

func TestAHalfWrittenRotationKeepsThePreviousCertificate(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, p.mutualServerFiles())
	rotated := p.ca.Issue(t, "server", "tenancy.tollgate.svc")
	tlstest.WriteFile(t, p.server.Cert, rotated.CertPEM) // the key is not replaced yet
	if got := mustCall(t, addr, p.clientFiles()); got.Cmp(p.serverSerial) != 0 {
		t.Fatalf("with a mismatched key the server presented %v, want the previous %v", got, p.serverSerial)
	}
	tlstest.WriteFile(t, p.server.Key, rotated.KeyPEM)
	if got := mustCall(t, addr, p.clientFiles()); got.Cmp(rotated.Serial) != 0 {
		t.Fatalf("once complete the server presented %v, want %v", got, rotated.Serial)
	}
}

func TestMutualTLSRefusesAClientWithoutCertificate(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, p.mutualServerFiles())
	mustBeRefused(t, addr, ClientFiles{CAFile: p.caFile, Options: everyHandshake})
}

func TestMutualTLSRefusesAClientCertificateFromAnotherCA(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, p.mutualServerFiles())
	other := tlstest.NewCA(t, "other CA")
	foreign := tlstest.WritePair(t, p.dir, "foreign", other.Issue(t, "client"))
	files := p.clientFiles()
	files.CertFile, files.KeyFile = foreign.Cert, foreign.Key
	mustBeRefused(t, addr, files)

	// Adding the other CA to the server's client CA bundle admits it.
	tlstest.WriteFile(t, p.caFile, append(append([]byte{}, p.ca.PEM...), other.PEM...))
	mustCall(t, addr, files)
}

func TestAClientTrustingAnotherCAIsRefusedUntilItsBundleIsUpdated(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, p.mutualServerFiles())
	clientCA := filepath.Join(p.dir, "client-trust.crt")
	tlstest.WriteFile(t, clientCA, tlstest.NewCA(t, "other CA").PEM)
	files := p.clientFiles()
	files.CAFile = clientCA
	mustBeRefused(t, addr, files)

	tlstest.WriteFile(t, clientCA, p.ca.PEM)
	mustCall(t, addr, files)
}

func TestServerTLSWithoutClientCertificates(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, ServerFiles{CertFile: p.server.Cert, KeyFile: p.server.Key, Options: everyHandshake})
	mustCall(t, addr, ClientFiles{CAFile: p.caFile, Options: everyHandshake})
}

func TestServerNameOverride(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, p.mutualServerFiles())
	files := p.clientFiles()
	files.ServerName = "tenancy.tollgate.svc" // in the certificate
	mustCall(t, addr, files)
	files.ServerName = "token.tollgate.svc" // not in it
	mustBeRefused(t, addr, files)
}

func TestServerRefusesTLSBelow12(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, p.mutualServerFiles())
	conn, err := tls.Dial("tcp", addr, &tls.Config{
		MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, InsecureSkipVerify: true, // the version check comes first
	})
	if err == nil {
		_ = conn.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
}

func TestConstructorsRefuseIncompleteOrBrokenFiles(t *testing.T) {
	p := newPKI(t)
	garbage := filepath.Join(p.dir, "garbage.pem")
	tlstest.WriteFile(t, garbage, []byte("not PEM"))
	for name, err := range map[string]error{
		"server without key":    second(ServerConfig(ServerFiles{CertFile: p.server.Cert})),
		"server missing file":   second(ServerConfig(ServerFiles{CertFile: p.server.Cert, KeyFile: filepath.Join(p.dir, "missing.key")})),
		"server mismatched key": second(ServerConfig(ServerFiles{CertFile: p.server.Cert, KeyFile: p.client.Key})),
		"server garbage CA":     second(ServerConfig(ServerFiles{CertFile: p.server.Cert, KeyFile: p.server.Key, ClientCAFile: garbage})),
		"client without CA":     second(ClientCredentials(ClientFiles{CertFile: p.client.Cert, KeyFile: p.client.Key})),
		"client cert, no key":   second(ClientCredentials(ClientFiles{CAFile: p.caFile, CertFile: p.client.Cert})),
		"client garbage CA":     second(ClientCredentials(ClientFiles{CAFile: garbage})),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func second[T any](_ T, err error) error { return err }
