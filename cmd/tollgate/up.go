package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/tollgate/tollgate/gateway"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/config"
	"github.com/tollgate/tollgate/pkg/obs"
	"github.com/tollgate/tollgate/services/export"
	"github.com/tollgate/tollgate/services/membership"
	"github.com/tollgate/tollgate/services/tenancy"
	"github.com/tollgate/tollgate/services/token"
)

// services are the backends `tollgate up` runs, in start order.
var services = []component.Service{tenancy.Component, membership.Component, token.Component, export.Component}

// identityKeyPath is where the all-in-one keeps the internal identity key.
func identityKeyPath(dataDir string) string {
	return filepath.Join(dataDir, "keys", "internal-identity.pem")
}

type upFlags struct {
	dev             bool
	demo            bool
	httpAddr        string
	dataDir         string
	logLevel        string
	shutdownTimeout time.Duration
	users           gateway.UserAuthFlags
	gateway         *gateway.Settings
	settings        map[string]component.Settings
}

func parseUpFlags(args []string, errOut io.Writer) (*upFlags, error) {
	fs := newFlagSet("up", errOut)
	f := &upFlags{gateway: gateway.NewSettings(), settings: map[string]component.Settings{}}
	fs.BoolVar(&f.dev, "dev", false, "development mode: trust user tokens from `tollgate dev token` (signing key kept in the data dir)")
	fs.BoolVar(&f.demo, "demo", false, "with --dev: seed a demo organization, device, API token and three days of logs, and print curl lines to try")
	fs.StringVar(&f.httpAddr, "http-addr", "127.0.0.1:8080", "the gateway's HTTP listen address")
	fs.StringVar(&f.dataDir, "data-dir", "./data", "directory for the databases, keys and the state file")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long in-flight requests may drain on SIGTERM")
	f.users.Register(fs)
	f.gateway.Register(fs)
	for _, svc := range services {
		if svc.NewSettings != nil {
			s := svc.NewSettings()
			s.Register(fs)
			f.settings[svc.Name] = s
		}
	}
	config.SetUsage(fs)
	if err := config.Parse(fs, args, os.LookupEnv); err != nil {
		return nil, err
	}
	var p config.Problems
	p.HostPort("http-addr", f.httpAddr)
	p.Dir("data-dir", f.dataDir)
	p.Positive("shutdown-timeout", f.shutdownTimeout)
	if _, err := obs.ParseLevel(f.logLevel); err != nil {
		p.Addf("log-level", "%v", err)
	}
	if f.demo && !f.dev {
		p.Addf("demo", "%v", errNoDemoInProd)
	}
	if f.dev {
		f.users.DevKeyFile = auth.DevKeyPath(f.dataDir)
	} else {
		f.users.Check(&p)
	}
	f.gateway.Check(&p)
	for _, s := range f.settings {
		s.Check(&p)
	}
	if err := p.Err(); err != nil {
		return nil, usageError{err}
	}
	return f, nil
}

func runUp(ctx context.Context, args []string, out, errOut io.Writer) error {
	start := time.Now()
	f, err := parseUpFlags(args, errOut)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.dataDir, 0o700); err != nil {
		return err
	}
	key, err := auth.LoadOrCreateKey(identityKeyPath(f.dataDir))
	if err != nil {
		return fmt.Errorf("internal identity key: %w", err)
	}
	if f.dev {
		if _, err := auth.LoadOrCreateKey(f.users.DevKeyFile); err != nil {
			return fmt.Errorf("dev user key: %w", err)
		}
	}
	if err := prepareSettings(f); err != nil {
		return err
	}
	level, _ := obs.ParseLevel(f.logLevel) // checked by parseUpFlags
	users, err := f.users.Verifier(ctx)
	if err != nil {
		return fmt.Errorf("user tokens: %w", err)
	}

	// Every component gets its own loopback listener first, so all peer
	// addresses are known before anything starts.
	listeners := map[string]net.Listener{}
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	peers := map[string]string{}
	for _, svc := range services {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		listeners[svc.Name] = l
		peers[svc.Name] = l.Addr().String()
	}
	httpLis, err := net.Listen("tcp", f.httpAddr)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	listeners[component.Gateway] = httpLis

	rt := &suiteRuntime{flags: f, key: key, level: level, registry: obs.NewRegistry(), peers: peers, logOut: errOut}
	envFor := rt.env
	reg := rt.registry

	// The gateway stops first so in-flight HTTP requests drain while the
	// services still answer; the services stop after it. A failing service
	// stops everything.
	servicesCtx, stopServices := context.WithCancel(context.Background())
	defer stopServices()
	backends, backendsCtx := errgroup.WithContext(servicesCtx)
	for _, svc := range services {
		backends.Go(func() error { return component.Run(backendsCtx, svc, envFor(svc.Name), listeners[svc.Name]) })
	}
	gatewayCtx, stopGateway := context.WithCancel(ctx)
	defer stopGateway()
	go func() {
		<-backendsCtx.Done()
		stopGateway()
	}()
	gatewayDone := make(chan error, 1)
	go func() {
		gatewayDone <- gateway.Run(gatewayCtx, gateway.Config{Env: envFor(component.Gateway), Gatherer: reg, Users: users, Settings: f.gateway}, httpLis)
	}()

	httpAddr := httpLis.Addr().String()
	state := suiteState{
		PID: os.Getpid(), HTTPAddr: httpAddr, BaseURL: "http://" + httpAddr,
		Components: peers, IdentityKey: identityKeyPath(f.dataDir),
	}
	if f.dev {
		state.DevUserKey = f.users.DevKeyFile
	}
	if err := writeState(f.dataDir, state); err != nil {
		stopGateway()
		stopServices()
		return errors.Join(fmt.Errorf("state file: %w", err), <-gatewayDone, backends.Wait())
	}
	defer os.Remove(statePath(f.dataDir))
	fmt.Fprintf(out, "Tollgate is up at %s (started in %s, data in %s)\n", state.BaseURL, time.Since(start).Round(time.Millisecond), f.dataDir)
	for _, svc := range services {
		fmt.Fprintf(out, "  %-10s gRPC %s\n", svc.Name, peers[svc.Name])
	}
	if f.dev {
		fmt.Fprintf(out, "dev mode: get a user token with `tollgate dev token --email you@example.com --data-dir %s`\n", f.dataDir)
	}

	if f.demo {
		if err := seedDemo(gatewayCtx, rt, state.BaseURL, out); err != nil {
			fmt.Fprintln(errOut, "demo:", err)
		}
	}

	gatewayErr := <-gatewayDone
	stopServices()
	err = errors.Join(gatewayErr, backends.Wait())
	fmt.Fprintln(out, "Tollgate stopped")
	return err
}

// suiteRuntime is what the components of one all-in-one suite share.
type suiteRuntime struct {
	flags    *upFlags
	key      ed25519.PrivateKey
	level    slog.Level
	registry *prometheus.Registry
	peers    map[string]string
	logOut   io.Writer
}

// env is the environment of one component of the suite.
func (rt *suiteRuntime) env(name string) component.Env {
	return component.Env{
		DataDir:         rt.flags.dataDir,
		Logger:          obs.NewLogger(rt.logOut, rt.level, name),
		Registerer:      rt.registry,
		Signer:          auth.NewSigner(rt.key, name, 0),
		Verifier:        auth.NewVerifier(rt.key.Public().(ed25519.PublicKey)),
		Peers:           rt.peers,
		Secret:          rt.key.Seed(),
		ShutdownTimeout: rt.flags.shutdownTimeout,
		Settings:        rt.flags.settings[name],
	}
}

// prepareSettings fills settings the all-in-one can provide itself, such
// as key files kept in the data dir.
func prepareSettings(f *upFlags) error {
	if s, ok := f.settings[component.Token].(*token.Settings); ok {
		return s.UseDataDir(f.dataDir)
	}
	return nil
}
