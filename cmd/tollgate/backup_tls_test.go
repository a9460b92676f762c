package main

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/obs"
	"github.com/tollgate/tollgate/pkg/tlsconfig/tlstest"
	"github.com/tollgate/tollgate/services/tenancy"
)

// TestBackupOverMutualTLS backs up a tenancy service that requires client
// certificates, reached by an address its certificate does not name (as
// through kubectl port-forward), so the name comes from
// --peer-tls-server-name with the {service} placeholder.
func TestBackupOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "internal CA")
	caFile := ca.WriteFile(t, dir, "ca.crt")
	serverPair := tlstest.WritePair(t, dir, "tenancy", ca.Issue(t, "tenancy", "tenancy.tollgate.svc"))
	adminPair := tlstest.WritePair(t, dir, "admin", ca.Issue(t, "admin"))
	keyFile := filepath.Join(dir, "identity.pem")
	key, err := auth.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	serverTLS := component.ServerTLSFlags{Cert: serverPair.Cert, Key: serverPair.Key, ClientCA: caFile}
	opts, err := serverTLS.ServerOptions(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := component.Env{
		DataDir: filepath.Join(dir, "data"), Logger: slog.New(slog.DiscardHandler), Registerer: obs.NewRegistry(),
		Signer: auth.NewSigner(key, component.Tenancy, 0), Verifier: auth.NewVerifier(key.Public().(ed25519.PublicKey)),
		Peers:           map[string]string{component.Membership: "127.0.0.1:1", component.Token: "127.0.0.1:1", component.Export: "127.0.0.1:1"},
		ShutdownTimeout: time.Second, ServerOptions: opts,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- component.Run(ctx, tenancy.Component, env, lis) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("tenancy: %v", err)
		}
	}()

	// 127.0.0.1 is in the certificate too, so the refusal below proves
	// that the overriding name is what gets checked.
	mustCLI(t, runBackup, "--tenancy-addr", lis.Addr().String(), "--identity-key", keyFile, "--out", filepath.Join(dir, "backup"),
		"--peer-tls-ca", caFile, "--peer-tls-cert", adminPair.Cert, "--peer-tls-key", adminPair.Key,
		"--peer-tls-server-name", "{service}.tollgate.svc")
	if _, err := readManifest(filepath.Join(dir, "backup")); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, runBackup, "--tenancy-addr", lis.Addr().String(), "--identity-key", keyFile, "--out", filepath.Join(dir, "refused"),
		"--peer-tls-ca", caFile, "--peer-tls-cert", adminPair.Cert, "--peer-tls-key", adminPair.Key,
		"--peer-tls-server-name", "{service}.elsewhere.svc"); err == nil {
		t.Error("backup accepted a certificate that does not name the server")
	}
}
