// Command gatewayd runs Tollgate's REST gateway.
package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tollgate/tollgate/gateway"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/config"
	"github.com/tollgate/tollgate/pkg/obs"
)

func main() { os.Exit(run()) }

func run() int {
	fs := flag.NewFlagSet("gatewayd", flag.ContinueOnError)
	httpAddr := fs.String("http-addr", "127.0.0.1:8080", "HTTP (or, with --https-cert, HTTPS) listen address")
	identityKey := fs.String("identity-key", "", "PEM Ed25519 private key shared by the components for the internal identity (required)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	shutdownTimeout := fs.Duration("shutdown-timeout", 10*time.Second, "how long in-flight requests may drain on SIGTERM")
	backends := map[string]*string{}
	for _, b := range gateway.Backends {
		backends[b] = fs.String(b+"-addr", "", "gRPC address of the "+b+" service (required)")
	}
	var https component.HTTPSFlags
	https.Register(fs)
	var peerTLS component.PeerTLSFlags
	peerTLS.Register(fs)
	var users gateway.UserAuthFlags
	users.Register(fs)
	settings := gateway.NewSettings()
	settings.Register(fs)
	config.SetUsage(fs)
	if err := config.Parse(fs, os.Args[1:], os.LookupEnv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var p config.Problems
	p.HostPort("http-addr", *httpAddr)
	p.NonEmpty("identity-key", *identityKey)
	p.File("identity-key", *identityKey)
	p.Positive("shutdown-timeout", *shutdownTimeout)
	level, err := obs.ParseLevel(*logLevel)
	if err != nil {
		p.Addf("log-level", "%v", err)
	}
	peers := map[string]string{}
	for name, addr := range backends {
		p.HostPort(name+"-addr", *addr)
		peers[name] = *addr
	}
	https.Check(&p)
	peerTLS.Check(&p)
	users.Check(&p)
	settings.Check(&p)
	if err := p.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := obs.NewLogger(os.Stderr, level, component.Gateway)
	key, err := auth.LoadPrivateKey(*identityKey)
	if err != nil {
		fmt.Fprintln(os.Stderr, "identity key:", err)
		return 1
	}
	verifier, err := users.Verifier(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "user tokens:", err)
		return 1
	}
	httpsConfig, err := https.Config(logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, "--https-cert/--https-key:", err)
		return 1
	}
	backendTLS, err := peerTLS.Credentials(logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, "--peer-tls-*:", err)
		return 1
	}
	reg := obs.NewRegistry()
	cfg := gateway.Config{
		Env: component.Env{
			Logger:          logger,
			Registerer:      reg,
			Signer:          auth.NewSigner(key, component.Gateway, 0),
			Verifier:        auth.NewVerifier(key.Public().(ed25519.PublicKey)),
			Peers:           peers,
			Secret:          key.Seed(),
			ShutdownTimeout: *shutdownTimeout,
			ClientTLS:       backendTLS,
		},
		Gatherer: reg,
		Users:    verifier,
		Settings: settings,
		HTTPS:    httpsConfig,
	}
	lis, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := gateway.Run(ctx, cfg, lis); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
