package component

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/config"
	"github.com/tollgate/tollgate/pkg/obs"
)

// Flags are the settings every service binary takes (each also from its
// TOLLGATE_* environment variable).
type Flags struct {
	GRPCAddr        string
	MetricsAddr     string
	DataDir         string
	IdentityKey     string
	LogLevel        string
	ShutdownTimeout time.Duration
	Peers           map[string]*string
	TLS             ServerTLSFlags // the gRPC server's certificate, and client CAs for mutual TLS
	PeerTLS         PeerTLSFlags   // TLS of calls to peers
}

// Register defines the common flags on fs, with one --<peer>-addr per peer.
func (f *Flags) Register(fs *flag.FlagSet, defaultGRPCAddr string, peers []string) {
	fs.StringVar(&f.GRPCAddr, "grpc-addr", defaultGRPCAddr, "gRPC listen address")
	fs.StringVar(&f.MetricsAddr, "metrics-addr", "", "Prometheus /metrics listen address (off if empty)")
	fs.StringVar(&f.DataDir, "data-dir", "./data", "directory of the service's database file")
	fs.StringVar(&f.IdentityKey, "identity-key", "", "PEM Ed25519 private key shared by the components for the internal identity (required)")
	fs.StringVar(&f.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&f.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long in-flight RPCs may drain on SIGTERM")
	f.Peers = map[string]*string{}
	for _, p := range peers {
		f.Peers[p] = fs.String(p+"-addr", "", "gRPC address of the "+p+" service (required)")
	}
	f.TLS.Register(fs)
	f.PeerTLS.Register(fs)
}

// Check reports every invalid setting at once.
func (f *Flags) Check(p *config.Problems) {
	p.HostPort("grpc-addr", f.GRPCAddr)
	p.OptionalHostPort("metrics-addr", f.MetricsAddr)
	p.Dir("data-dir", f.DataDir)
	p.NonEmpty("identity-key", f.IdentityKey)
	p.File("identity-key", f.IdentityKey)
	p.Positive("shutdown-timeout", f.ShutdownTimeout)
	if _, err := obs.ParseLevel(f.LogLevel); err != nil {
		p.Addf("log-level", "%v", err)
	}
	for name, addr := range f.Peers {
		p.HostPort(name+"-addr", *addr)
	}
	f.TLS.Check(p)
	f.PeerTLS.Check(p)
}

// Main is the whole main function of a service binary: flags and
// environment, logging, keys, metrics endpoint, signals, Run.
func Main(svc Service, defaultGRPCAddr string) int {
	fs := flag.NewFlagSet(svc.Name+"d", flag.ContinueOnError)
	var f Flags
	f.Register(fs, defaultGRPCAddr, svc.Peers)
	var settings Settings
	if svc.NewSettings != nil {
		settings = svc.NewSettings()
		settings.Register(fs)
	}
	config.SetUsage(fs)
	if err := config.Parse(fs, os.Args[1:], os.LookupEnv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var problems config.Problems
	f.Check(&problems)
	if settings != nil {
		settings.Check(&problems)
	}
	if err := problems.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runStandalone(ctx, svc, f, settings, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func runStandalone(ctx context.Context, svc Service, f Flags, settings Settings, logOut io.Writer) error {
	level, _ := obs.ParseLevel(f.LogLevel) // checked already
	logger := obs.NewLogger(logOut, level, svc.Name)
	key, err := auth.LoadPrivateKey(f.IdentityKey)
	if err != nil {
		return fmt.Errorf("identity key: %w", err)
	}
	peers := map[string]string{}
	for name, addr := range f.Peers {
		peers[name] = *addr
	}
	serverOptions, err := f.TLS.ServerOptions(logger)
	if err != nil {
		return fmt.Errorf("--tls-cert/--tls-key/--tls-client-ca: %w", err)
	}
	peerTLS, err := f.PeerTLS.Credentials(logger)
	if err != nil {
		return fmt.Errorf("--peer-tls-*: %w", err)
	}
	reg := obs.NewRegistry()
	env := Env{
		DataDir:         f.DataDir,
		Logger:          logger,
		Registerer:      reg,
		Signer:          auth.NewSigner(key, svc.Name, 0),
		Verifier:        auth.NewVerifier(key.Public().(ed25519.PublicKey)),
		Peers:           peers,
		Secret:          key.Seed(),
		ShutdownTimeout: f.ShutdownTimeout,
		ServerOptions:   serverOptions,
		ClientTLS:       peerTLS,
		Settings:        settings,
	}
	lis, err := net.Listen("tcp", f.GRPCAddr)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	if f.MetricsAddr != "" {
		metrics := &http.Server{
			Addr:              f.MetricsAddr,
			Handler:           promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
			ReadHeaderTimeout: 5 * time.Second,
		}
		g.Go(func() error { return ServeHTTP(ctx, metrics, nil, f.ShutdownTimeout) })
	}
	g.Go(func() error { return Run(ctx, svc, env, lis) })
	return g.Wait()
}

// ServeHTTP serves srv (on lis if given, else srv.Addr) until ctx ends,
// then shuts it down gracefully, letting in-flight requests finish for up
// to drain. A srv.TLSConfig (from HTTPSFlags) makes it serve HTTPS with
// the certificate that config supplies.
func ServeHTTP(ctx context.Context, srv *http.Server, lis net.Listener, drain time.Duration) error {
	errc := make(chan error, 1)
	go func() {
		var err error
		switch {
		case lis != nil && srv.TLSConfig != nil:
			err = srv.ServeTLS(lis, "", "")
		case lis != nil:
			err = srv.Serve(lis)
		case srv.TLSConfig != nil:
			err = srv.ListenAndServeTLS("", "")
		default:
			err = srv.ListenAndServe()
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if drain <= 0 {
		drain = 10 * time.Second
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	<-errc
	return err
}
